using System.Diagnostics;
using System.Net.Http.Headers;

namespace ControlPlane.Stack.Tests;

/// <summary>
/// Signed-in API reads at a steady rate, spread over the replicas in turn with no affinity, as Docker's routing mesh
/// spreads connections. The local swarm has no mesh (deploy/stack.local.yml), so this plays its part: like the mesh,
/// it sends nothing to a replica that is not there — a request that could not connect goes to the next replica and is
/// not counted as failed — while a request a replica accepted and then did not answer well is a failure.
/// </summary>
public sealed class BalancedLoad : IAsyncDisposable
{
    private readonly List<HttpClient> _replicas;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly List<Task> _inFlight = [];
    private readonly List<string> _failures = [];
    private int _answered;
    private int _rerouted;
    private int _next;

    public BalancedLoad(IEnumerable<Uri> replicas, string cookie, int perSecond)
    {
        _replicas = replicas.Select(replica =>
        {
            var client = new HttpClient(new SocketsHttpHandler
            {
                UseCookies = false,
                ConnectTimeout = TimeSpan.FromSeconds(2),
                SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
                // Fresh connections now and then, as clients behind a balancer make them.
                PooledConnectionLifetime = TimeSpan.FromSeconds(5),
            })
            { BaseAddress = replica, Timeout = TimeSpan.FromSeconds(15) };
            client.DefaultRequestHeaders.Add("Cookie", cookie);
            client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            return client;
        }).ToList();
        _running = RunAsync(TimeSpan.FromSeconds(1.0 / perSecond));
    }

    public sealed record Result(int Answered, int Failed, int Rerouted, IReadOnlyList<string> Failures)
    {
        public override string ToString() =>
            $"{Answered} answered, {Failed} failed, {Rerouted} sent on to another replica (could not connect)" +
            (Failures.Count > 0 ? $"; failures: {string.Join("; ", Failures.Take(5))}" : "");
    }

    private async Task RunAsync(TimeSpan interval)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            var due = interval * i - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }
            lock (_inFlight)
            {
                _inFlight.Add(OneAsync());
            }
        }
    }

    private async Task OneAsync()
    {
        var first = Interlocked.Increment(ref _next);
        for (var attempt = 0; attempt < _replicas.Count; attempt++)
        {
            var client = _replicas[(first + attempt) % _replicas.Count];
            try
            {
                using var answer = await client.GetAsync($"/api/clusters");
                if (answer.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _answered);
                }
                else
                {
                    Fail($"{client.BaseAddress} answered {(int)answer.StatusCode}");
                }
                return;
            }
            catch (HttpRequestException e) when (StackUnderTest.NeverArrived(e))
            {
                Interlocked.Increment(ref _rerouted);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                Fail($"{client.BaseAddress}: {e.GetType().Name} {e.Message}");
                return;
            }
        }
        Fail("no replica could be reached");
    }

    private void Fail(string what)
    {
        lock (_failures)
        {
            _failures.Add(what);
        }
    }

    public async Task<Result> StopAsync()
    {
        _stop.Cancel();
        await _running;
        Task[] pending;
        lock (_inFlight)
        {
            pending = [.. _inFlight];
        }
        await Task.WhenAll(pending);
        lock (_failures)
        {
            return new Result(_answered, _failures.Count, _rerouted, [.. _failures]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }
        foreach (var client in _replicas)
        {
            client.Dispose();
        }
        _stop.Dispose();
    }
}
