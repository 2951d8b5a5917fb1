using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;

namespace ControlPlane.Benchmarks;

/// <summary>
/// N hub clients in a child process (this program with <c>--mode hub-clients</c>), so the server's heap and
/// working set hold the server's share of a subscription only. Each client notes every service change it receives,
/// timestamped on arrival with <see cref="Stopwatch"/>, whose clock (CLOCK_MONOTONIC on Linux) is the same in every
/// process, so the parent can subtract its own timestamps.
/// </summary>
/// <remarks>
/// The clients share the server's cores, so what they spend is taken from what is measured. They read only the
/// fields they report (a typed item, not a parsed document of every field), and keep their notes in memory until
/// the parent asks for them once the changes are over (<see cref="CollectAsync"/>): printing a line per change per
/// client, and parsing them in the server's process, cost as much as the hub itself at 50 clients × 1,000 changes/s.
/// </remarks>
internal sealed class HubClientsProcess : IAsyncDisposable
{
    public const string Mode = "hub-clients";
    private const string Ready = "READY";
    private const string Wait = "WAIT";
    private const string Reached = "REACHED";
    private const string Report = "REPORT";
    private const string End = "END";
    private const string TokenVariable = "CONTROLPLANE_BENCH_TOKEN";

    private readonly Process _process;
    private readonly Task _reading;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<bool> _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _reported = new(TaskCreationOptions.RunContinuationsAsynchronously);
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
        // The clients stand in for programs on other machines: spend as little of the server's cores as they can.
        // Workstation GC (one heap, whatever the server uses), and no instrumented tier recompiling the hot paths
        // while the changes are measured.
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_TieredPGO"] = "0";
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

    /// <summary>The CPU time the clients' process has used so far.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Waits until every client has seen each service at (at least) its given round, or <paramref name="timeout"/>
    /// passes; true when all reached their rounds. <see cref="CollectAsync"/> then reads what they noted.
    /// </summary>
    public async Task<bool> WaitReachedAsync(IReadOnlyDictionary<string, int> lastRounds, TimeSpan timeout)
    {
        _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        var input = _process.StandardInput;
        foreach (var (service, round) in lastRounds)
        {
            await input.WriteLineAsync($"L {service} {round.ToString(CultureInfo.InvariantCulture)}");
        }
        await input.WriteLineAsync($"{Wait} {(long)timeout.TotalMilliseconds}");
        await input.FlushAsync();
        return await _reached.Task.WaitAsync(timeout + TimeSpan.FromMinutes(1));
    }

    /// <summary>Reads every arrival the clients noted, for <see cref="FirstArrival"/>.</summary>
    public async Task CollectAsync()
    {
        _reported = new(TaskCreationOptions.RunContinuationsAsynchronously);
        await _process.StandardInput.WriteLineAsync(Report);
        await _process.StandardInput.FlushAsync();
        await _reported.Task.WaitAsync(TimeSpan.FromMinutes(2));
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
            if (line.StartsWith(Reached, StringComparison.Ordinal))
            {
                _reached.TrySetResult(line == $"{Reached} yes");
                continue;
            }
            if (line == End)
            {
                _reported.TrySetResult();
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
        _reached.TrySetException(new InvalidOperationException("The hub clients process exited before its clients reached the last changes."));
        _reported.TrySetException(new InvalidOperationException("The hub clients process exited before it reported its clients' arrivals."));
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

    /// <summary>
    /// The child's side: opens the clients and prints <c>READY</c> once each has its snapshot; on
    /// <c>L service round</c> lines then <c>WAIT timeoutMs</c> it waits for the clients to reach those rounds and prints
    /// <c>REACHED yes</c> (or <c>no</c>); on <c>REPORT</c> it prints every arrival, then <c>END</c>. It exits when stdin
    /// closes.
    /// </summary>
    public static async Task<int> RunClientsAsync(string[] args)
    {
        var options = args.Chunk(2).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        var url = options["--url"];
        var cluster = options["--cluster"];
        var count = int.Parse(options["--count"], CultureInfo.InvariantCulture);
        var prefix = options["--prefix"];
        var token = Environment.GetEnvironmentVariable(TokenVariable);

        // Buffered: written in bulk when the parent asks, not a flush per line.
        var output = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
        var outputLock = new Lock();
        void Print(string line)
        {
            lock (outputLock)
            {
                output.WriteLine(line);
                output.Flush();
            }
        }
        using var stop = new CancellationTokenSource();
        var connections = new List<HubConnection>();
        var readers = new List<Task>();
        var notes = new List<ClientNotes>();
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
            var noted = new ClientNotes();
            notes.Add(noted);
            var stream = connection.StreamAsync<WatchItem>("Watch", cluster, stop.Token);
            readers.Add(Task.Run(async () =>
            {
                try
                {
                    await foreach (var message in stream)
                    {
                        var at = Stopwatch.GetTimestamp();
                        foreach (var change in message.Changes)
                        {
                            if (change is { Kind: "service", Name: { } name, Round: { } round } && name.StartsWith(prefix, StringComparison.Ordinal))
                            {
                                noted.Add(change.Id, int.Parse(round, CultureInfo.InvariantCulture), at);
                            }
                        }
                        // The snapshot comes in chunks; a client is ready once it holds the last one.
                        if (message is { Snapshot: true, SnapshotComplete: true } && Interlocked.Increment(ref withSnapshot) == count)
                        {
                            Print(Ready);
                        }
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (Exception ex)
                {
                    Print($"client {index} failed: {ex.Message}");
                }
            }));
        }

        var targets = new Dictionary<string, int>(StringComparer.Ordinal);
        while (await Console.In.ReadLineAsync() is { } command)
        {
            var parts = command.Split(' ');
            if (parts is ["L", var service, var round])
            {
                targets[service] = int.Parse(round, CultureInfo.InvariantCulture);
            }
            else if (parts is [Wait, var milliseconds])
            {
                var deadline = Stopwatch.StartNew();
                var timeout = TimeSpan.FromMilliseconds(long.Parse(milliseconds, CultureInfo.InvariantCulture));
                bool reached;
                while (!(reached = notes.All(n => n.Reached(targets))) && deadline.Elapsed < timeout)
                {
                    await Task.Delay(20);
                }
                Print(reached ? $"{Reached} yes" : $"{Reached} no");
                targets.Clear();
            }
            else if (parts is [Report])
            {
                lock (outputLock)
                {
                    for (var client = 0; client < notes.Count; client++)
                    {
                        foreach (var (noted, seen, at) in notes[client].Arrivals())
                        {
                            output.WriteLine($"A {client} {noted} {seen} {at}");
                        }
                    }
                    output.WriteLine(End);
                    output.Flush();
                }
            }
        }
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
        return 0;
    }

    /// <summary>The fields of a <c>Watch</c> item the clients report.</summary>
    private sealed class WatchItem
    {
        public bool Snapshot { get; init; }

        public bool SnapshotComplete { get; init; }

        public List<WatchChange> Changes { get; init; } = [];
    }

    /// <summary>A change as the clients note it: the round label of a service, the rest of each object skipped unread.</summary>
    [JsonConverter(typeof(WatchChangeConverter))]
    private sealed record WatchChange(string Kind, string Id, string? Name, string? Round);

    /// <summary>
    /// Reads <c>{type, kind, id, resource}</c> keeping only what <see cref="WatchChange"/> holds: the serializer's own
    /// path would look up and allocate every field of every object, and the clients run on the server's cores.
    /// </summary>
    private sealed class WatchChangeConverter : JsonConverter<WatchChange>
    {
        public override WatchChange Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            string? kind = null, id = null, name = null, round = null;
            Expect(ref reader, JsonTokenType.StartObject);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("kind"u8))
                {
                    reader.Read();
                    kind = reader.GetString();
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.GetString();
                }
                else if (reader.ValueTextEquals("resource"u8) && kind == "service")
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        (name, round) = ReadService(ref reader);
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            return new WatchChange(kind ?? throw new JsonException("A change without a kind."), id ?? throw new JsonException("A change without an id."), name, round);
        }

        private static (string? Name, string? Round) ReadService(ref Utf8JsonReader reader)
        {
            string? name = null, round = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("name"u8))
                {
                    reader.Read();
                    name = reader.GetString();
                }
                else if (reader.ValueTextEquals("labels"u8))
                {
                    reader.Read();
                    Expect(ref reader, JsonTokenType.StartObject);
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isRound = reader.ValueTextEquals(SubscriptionBenchmark.RoundLabel);
                        reader.Read();
                        if (isRound)
                        {
                            round = reader.GetString();
                        }
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            return (name, round);
        }

        private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
        {
            if (reader.TokenType != type)
            {
                throw new JsonException($"Expected {type}, read {reader.TokenType}.");
            }
        }

        public override void Write(Utf8JsonWriter writer, WatchChange value, JsonSerializerOptions options) =>
            throw new NotSupportedException("The clients only read changes.");
    }

    /// <summary>What one client received, written by its reader and read by the reporting loop.</summary>
    private sealed class ClientNotes
    {
        private readonly Lock _lock = new();
        private readonly List<(string Service, int Round, long At)> _arrivals = [];
        private readonly Dictionary<string, int> _latest = new(StringComparer.Ordinal);

        public void Add(string service, int round, long at)
        {
            lock (_lock)
            {
                _arrivals.Add((service, round, at));
                if (!_latest.TryGetValue(service, out var latest) || latest < round)
                {
                    _latest[service] = round;
                }
            }
        }

        public bool Reached(IReadOnlyDictionary<string, int> targets)
        {
            lock (_lock)
            {
                return targets.All(t => _latest.TryGetValue(t.Key, out var latest) && latest >= t.Value);
            }
        }

        public List<(string Service, int Round, long At)> Arrivals()
        {
            lock (_lock)
            {
                return [.. _arrivals];
            }
        }
    }
}
