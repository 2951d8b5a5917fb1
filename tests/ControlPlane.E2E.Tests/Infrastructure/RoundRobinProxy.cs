using System.Net;
using System.Net.Sockets;

namespace ControlPlane.E2E.Tests.Infrastructure;

/// <summary>
/// A tiny TCP balancer in front of several replicas, as Docker's routing mesh is: each connection goes to the next
/// backend that accepts it, with no affinity; a backend that refuses is skipped. <see cref="Only"/> pins new connections
/// to one backend, so a test can know where a browser's circuit lives.
/// </summary>
public sealed class RoundRobinProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly List<Uri> _backends;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _accepting;
    private int _next;

    public RoundRobinProxy(IEnumerable<Uri> backends)
    {
        _backends = backends.ToList();
        _listener.Start();
        Address = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
        _accepting = AcceptAsync();
    }

    public Uri Address { get; }

    /// <summary>When set, new connections go to this backend only (still skipped when it refuses).</summary>
    public int? Only { get; set; }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<CancellationTokenSource, int> _open = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, bool> _dead = new();

    /// <summary>
    /// The backend dies as seen from the network, as a killed replica does: its open connections are reset and new
    /// ones no longer reach it. (Stopping the host gracefully would wait for the browser's circuit to close first.)
    /// </summary>
    public async Task KillAsync(int backend)
    {
        _dead[backend] = true;
        foreach (var (connection, index) in _open)
        {
            if (index == backend)
            {
                await connection.CancelAsync();
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stopping.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var first = Only ?? Interlocked.Increment(ref _next);
            for (var attempt = 0; attempt < _backends.Count; attempt++)
            {
                var index = (int)((uint)(first + attempt) % _backends.Count);
                if (_dead.ContainsKey(index))
                {
                    continue;
                }
                var backend = _backends[index];
                using var server = new TcpClient();
                try
                {
                    await server.ConnectAsync(backend.Host, backend.Port, _stopping.Token);
                }
                catch (SocketException)
                {
                    continue;
                }
                using var both = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                _open[both] = index;
                var up = PipeAsync(client.GetStream(), server.GetStream(), both.Token);
                var down = PipeAsync(server.GetStream(), client.GetStream(), both.Token);
                // Either side closing closes both, as a dying replica's connections do.
                await Task.WhenAny(up, down, Task.Delay(Timeout.Infinite, both.Token).ContinueWith(_ => { }, TaskScheduler.Default));
                await both.CancelAsync();
                _open.TryRemove(both, out _);
                // Reset rather than a polite close, as from a dead host.
                client.Client.LingerState = new LingerOption(true, 0);
                server.Client.LingerState = new LingerOption(true, 0);
                return;
            }
        }
    }

    private static async Task PipeAsync(NetworkStream from, NetworkStream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken);
        }
        catch (Exception)
        {
            // A closed or reset side ends the pipe.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stopping.Dispose();
    }
}
