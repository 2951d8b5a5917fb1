using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace ControlPlane.Benchmarks;

/// <summary>
/// N hub clients in a child process (this program with <c>--mode hub-clients</c>), so the server's heap and
/// working set hold the server's share of a subscription only. The child prints one line per service
/// change a client receives, timestamped on arrival with <see cref="Stopwatch"/>, whose clock
/// (CLOCK_MONOTONIC on Linux) is the same in every process, so the parent can subtract its own timestamps.
/// </summary>
internal sealed class HubClientsProcess : IAsyncDisposable
{
    public const string Mode = "hub-clients";
    private const string Ready = "READY";
    private const string TokenVariable = "CONTROLPLANE_BENCH_TOKEN";

    private readonly Process _process;
    private readonly Task _reading;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly Dictionary<(int Client, string Service), List<(int Round, long At)>> _arrivals = [];

    private HubClientsProcess(Process process)
    {
        _process = process;
        _reading = Task.Run(ReadAsync);
    }

    /// <summary>Starts <paramref name="count"/> clients watching <paramref name="clusterId"/> and returns once each has its snapshot.</summary>
    public static async Task<HubClientsProcess> StartAsync(string url, string apiToken, string clusterId, int count, string servicePrefix, TimeSpan timeout, CancellationToken ct)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var host = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable runs the benchmark.");
        info.FileName = host;
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            // Started as `dotnet ControlPlane.Benchmarks.dll`: the child needs the dll too.
            info.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        }
        // The token goes by environment, not on the command line, where every user of the machine can read it.
        info.Environment[TokenVariable] = apiToken;
        foreach (var argument in new[] { "--mode", Mode, "--url", url, "--cluster", clusterId, "--count", count.ToString(CultureInfo.InvariantCulture), "--prefix", servicePrefix })
        {
            info.ArgumentList.Add(argument);
        }
        var clients = new HubClientsProcess(Process.Start(info) ?? throw new InvalidOperationException($"Cannot start {host}."));
        try
        {
            await clients._ready.Task.WaitAsync(timeout, ct);
        }
        catch
        {
            await clients.DisposeAsync();
            throw;
        }
        return clients;
    }

    /// <summary>True when every client has seen each service at (at least) its given round.</summary>
    public bool AllReached(int count, IReadOnlyDictionary<string, int> lastRounds)
    {
        lock (_lock)
        {
            for (var client = 0; client < count; client++)
            {
                foreach (var (service, round) in lastRounds)
                {
                    if (!_arrivals.TryGetValue((client, service), out var seen) || seen[^1].Round < round)
                    {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    /// <summary>
    /// When a client first saw the service at <paramref name="round"/> or later: the hub merges changes per
    /// object, so a client may see a later round instead, which includes this one.
    /// </summary>
    public long? FirstArrival(int client, string service, int round)
    {
        lock (_lock)
        {
            return _arrivals.TryGetValue((client, service), out var seen) && seen.FirstOrDefault(s => s.Round >= round) is { At: > 0 } first
                ? first.At
                : null;
        }
    }

    private async Task ReadAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line == Ready)
            {
                _ready.TrySetResult();
                continue;
            }
            var parts = line.Split(' ');
            if (parts is ["A", var client, var service, var round, var at])
            {
                lock (_lock)
                {
                    var key = (int.Parse(client, CultureInfo.InvariantCulture), service);
                    if (!_arrivals.TryGetValue(key, out var seen))
                    {
                        _arrivals[key] = seen = [];
                    }
                    seen.Add((int.Parse(round, CultureInfo.InvariantCulture), long.Parse(at, CultureInfo.InvariantCulture)));
                }
            }
            else
            {
                Console.Error.WriteLine($"hub clients: {line}");
            }
        }
        _ready.TrySetException(new InvalidOperationException($"The hub clients process exited (code {(_process.HasExited ? _process.ExitCode : -1)}) before all clients had their snapshot."));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Closing stdin asks the child to disconnect its clients and exit.
            _process.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(grace.Token);
        }
        catch (Exception) when (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        await _reading;
        _process.Dispose();
    }

    /// <summary>The child's side: opens the clients, reports arrivals on stdout, and exits when stdin closes.</summary>
    public static async Task<int> RunClientsAsync(string[] args)
    {
        var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        var url = options["--url"];
        var cluster = options["--cluster"];
        var count = int.Parse(options["--count"], CultureInfo.InvariantCulture);
        var prefix = options["--prefix"];
        var token = Environment.GetEnvironmentVariable(TokenVariable);

        // One writer for stdout, so readers never wait on the console while timestamps matter.
        var lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        var writer = Task.Run(async () =>
        {
            await foreach (var line in lines.Reader.ReadAllAsync())
            {
                Console.Out.WriteLine(line);
            }
        });
        using var stop = new CancellationTokenSource();
        var connections = new List<HubConnection>();
        var readers = new List<Task>();
        var withSnapshot = 0;
        for (var client = 0; client < count; client++)
        {
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(new Uri(url), "/hubs/cluster"), o =>
                {
                    o.Transports = HttpTransportType.WebSockets;
                    o.SkipNegotiation = true;
                    o.AccessTokenProvider = () => Task.FromResult(token);
                })
                .Build();
            await connection.StartAsync();
            connections.Add(connection);
            var index = client;
            var stream = connection.StreamAsync<JsonElement>("Watch", cluster, stop.Token);
            readers.Add(Task.Run(async () =>
            {
                try
                {
                    await foreach (var message in stream)
                    {
                        var at = Stopwatch.GetTimestamp();
                        foreach (var change in message.GetProperty("changes").EnumerateArray())
                        {
                            if (change.GetProperty("kind").GetString() == "service"
                                && change.GetProperty("resource") is { ValueKind: JsonValueKind.Object } service
                                && service.GetProperty("name").GetString()?.StartsWith(prefix, StringComparison.Ordinal) == true
                                && service.GetProperty("labels").TryGetProperty(SubscriptionBenchmark.RoundLabel, out var round))
                            {
                                lines.Writer.TryWrite($"A {index} {change.GetProperty("id").GetString()} {round.GetString()} {at}");
                            }
                        }
                        // The snapshot comes in chunks; a client is ready once it holds the last one.
                        if (message.GetProperty("snapshot").GetBoolean() && message.GetProperty("snapshotComplete").GetBoolean()
                            && Interlocked.Increment(ref withSnapshot) == count)
                        {
                            lines.Writer.TryWrite(Ready);
                        }
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (Exception ex)
                {
                    lines.Writer.TryWrite($"client {index} failed: {ex.Message}");
                }
            }));
        }

        await Console.In.ReadToEndAsync();
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
        lines.Writer.TryComplete();
        await writer;
        return 0;
    }
}
