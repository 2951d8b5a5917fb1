using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Docker.Connection;
using ControlPlane.SwarmSimulator;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Benchmarks;

/// <summary>
/// <c>--mode scale</c>: issue 14's goals, measured against an in-process simulated swarm manager
/// (tests/ControlPlane.SwarmSimulator) at each size given (default 100 nodes / 1,000 services / 5,000 tasks and
/// 1,000 / 10,000 / 50,000):
/// <list type="bullet">
/// <item>the simulator's own time to answer the full listings (the limit), then ControlPlane's start to Synced;</item>
/// <item>the process's RSS after sync, and ControlPlane's share of it (the simulator shares the process);</item>
/// <item>Engine API requests per minute at steady state, no churn, over <c>--window</c> seconds;</item>
/// <item>event → store and event → hub subscriber p99 at <c>--rate</c> changes/s (service label updates the
/// simulator makes, stamped when it emits the event) with <c>--subscribers</c> hub clients in a child process;</item>
/// <item>CPU per change in the store: single upserts applied to a copy of the synced picture, with one subscriber.</item>
/// </list>
/// First render in Chromium and server memory per open page are not measured here.
/// <c>dotnet run -c Release --project tests/ControlPlane.Benchmarks -- --mode scale [--sizes 100/1000/5000,1000/10000/50000]
/// [--rate 1000] [--seconds 10] [--subscribers 50] [--window 60]</c>
/// </summary>
internal static class ScaleBenchmark
{
    private const string Label = SubscriptionBenchmark.RoundLabel;

    public static async Task<int> RunAsync(string[] args)
    {
        var sizes = new List<(int Nodes, int Services, int Tasks)> { (100, 1_000, 5_000), (1_000, 10_000, 50_000) };
        var rate = 1000;
        var seconds = 10;
        var subscribers = 50;
        var window = TimeSpan.FromSeconds(60);
        for (var a = 0; a < args.Length; a++)
        {
            var value = a + 1 < args.Length ? args[a + 1] : null;
            switch (args[a])
            {
                case "--sizes" when value is not null && TryParseSizes(value, out var parsed):
                    sizes = parsed;
                    a++;
                    break;
                case "--rate" when int.TryParse(value, CultureInfo.InvariantCulture, out var r) && r > 0:
                    rate = r;
                    a++;
                    break;
                case "--seconds" when int.TryParse(value, CultureInfo.InvariantCulture, out var s) && s > 0:
                    seconds = s;
                    a++;
                    break;
                case "--subscribers" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n >= 0:
                    subscribers = n;
                    a++;
                    break;
                case "--window" when int.TryParse(value, CultureInfo.InvariantCulture, out var w) && w >= 16:
                    window = TimeSpan.FromSeconds(w);
                    a++;
                    break;
                default:
                    Console.Error.WriteLine($"unknown or invalid argument '{args[a]}'. Usage: --mode scale --sizes N/S/T[,N/S/T] --rate N --seconds N --subscribers N --window SECONDS(≥16)");
                    return 2;
            }
        }

        var results = new List<Result>();
        foreach (var size in sizes)
        {
            Console.WriteLine($"— {size.Nodes} nodes / {size.Services} services / {size.Tasks} tasks");
            results.Add(await MeasureAsync(size, rate, seconds, subscribers, window));
        }

        Console.WriteLine();
        Console.WriteLine($"{"measure",-58}{"goal",-14}{string.Concat(results.Select(r => $"{r.Size,-22}"))}");
        void Row(string measure, string goal, Func<Result, string> value) =>
            Console.WriteLine($"{measure,-58}{goal,-14}{string.Concat(results.Select(r => $"{value(r),-22}"))}");
        Row("simulator: full listings answered (the limit)", "", r => $"{r.ListingSeconds:F2} s");
        Row("start to Synced", "≤ 5 s", r => $"{r.SyncSeconds:F2} s");
        Row("RSS after sync (process, simulator included)", "", r => $"{r.RssMb:F0} MB");
        Row("  ControlPlane's share (RSS after − before start)", "≤ 1.5 GB", r => $"{r.RssShareMb:F0} MB");
        Row("  ControlPlane's managed heap after a full GC", "", r => $"{r.HeapShareMb:F0} MB");
        Row("Engine API requests per minute, steady, no churn", "≤ 120", r => $"{r.RequestsPerMinute:F0}");
        Row($"event → store p99 at {rate}/s", "≤ 250 ms", r => $"{r.StoreP99:F0} ms ({r.StoreMissing} lost)");
        Row($"event → hub subscriber p99 at {rate}/s, {subscribers} subscribers", "≤ 250 ms", r => double.IsNaN(r.HubP99) ? "no snapshot in 2 min" : $"{r.HubP99:F0} ms ({r.HubMissing} lost)");
        Row("  changes the simulator emitted in the window", "", r => $"{r.Changes} in {r.ChangeSeconds:F1} s");
        Row("  CPU while changing: this process / hub clients", "", r => $"{r.ProcessCpuSeconds:F1} s / {r.ClientsCpuSeconds:F1} s");
        Row("CPU per change in the store", "printed", r => $"{r.CpuPerChangeMicros:F0} µs");
        Row("first render (Chromium), memory per open page", "≤ 1 s, ≤ 1 MB", _ => "not measured here");
        return 0;
    }

    private sealed record Result(
        string Size, double ListingSeconds, double SyncSeconds, double RssMb, double RssShareMb, double HeapShareMb, double RequestsPerMinute,
        double StoreP99, int StoreMissing, double HubP99, int HubMissing, int Changes, double ChangeSeconds, double CpuPerChangeMicros,
        double ProcessCpuSeconds, double ClientsCpuSeconds);

    private static async Task<Result> MeasureAsync((int Nodes, int Services, int Tasks) size, int rate, int seconds, int subscribers, TimeSpan window)
    {
        var run = Guid.NewGuid().ToString("N")[..6];
        var socket = Path.Combine(Path.GetTempPath(), $"controlplane-scale-{run}.sock");
        var started = Stopwatch.StartNew();
        await using var simulator = await SwarmSimulator.SwarmSimulator.StartAsync(new SimulatorOptions
        {
            Nodes = size.Nodes,
            Managers = Math.Min(3, size.Nodes),
            Services = size.Services,
            Tasks = size.Tasks,
            Listen = $"unix://{socket}",
        });
        Console.WriteLine($"simulator populated in {started.Elapsed.TotalSeconds:F1} s on {simulator.Endpoint}");
        // The first full listing builds the simulator's cached JSON; the second is what a manager answers at best.
        await ListEverythingAsync(socket);
        var listing = await ListEverythingAsync(socket);
        Console.WriteLine($"simulator answers the full listings in {listing.TotalSeconds:F2} s");

        var database = Path.Combine(Path.GetTempPath(), $"controlplane-scale-{run}.db");
        var adminPassword = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        Collect();
        var rssBefore = Process.GetCurrentProcess().WorkingSet64;
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);
        var app = BenchmarkHost.Build(database, adminPassword,
            "--ControlPlane:Clusters:0:Name=simulated",
            $"--ControlPlane:Clusters:0:Endpoints:0={simulator.Endpoint}");
        try
        {
            var sync = Stopwatch.StartNew();
            await app.StartAsync();
            var store = app.Services.GetRequiredService<ClusterStateStore>();
            var counter = app.Services.GetRequiredService<EngineRequestCounter>();
            var clusterId = store.Clusters[0].Id;
            if (!await WaitUntilAsync(() => store.GetState(clusterId)!.Cluster.Status == ClusterStatus.Synced, TimeSpan.FromMinutes(5)))
            {
                var cluster = store.GetState(clusterId)!.Cluster;
                throw new InvalidOperationException($"ControlPlane did not sync with the simulator within 5 minutes: {cluster.Status} {cluster.Error}");
            }
            var syncSeconds = sync.Elapsed.TotalSeconds;
            var state = store.GetState(clusterId)!;
            Console.WriteLine($"Synced in {syncSeconds:F2} s: {state.Count(ResourceKind.Node)} nodes, {state.Count(ResourceKind.Service)} services, {state.Count(ResourceKind.Task)} tasks");
            Collect();
            var rss = Process.GetCurrentProcess().WorkingSet64;
            var heap = GC.GetTotalMemory(forceFullCollection: true);

            // Steady state, no churn: what ControlPlane asks the manager for when nothing happens.
            var requestsBefore = counter.Count;
            var steady = Stopwatch.StartNew();
            await Task.Delay(window);
            var perMinute = (counter.Count - requestsBefore) / steady.Elapsed.TotalMinutes;
            Console.WriteLine($"steady state: {counter.Count - requestsBefore} Engine API requests in {steady.Elapsed.TotalSeconds:F0} s");

            // Churn: label updates the simulator makes at the rate, stamped as it emits each event.
            var hubFailed = false;
            var token = await SubscriptionBenchmark.CreateApiTokenAsync(app.Urls.First(), adminPassword, CancellationToken.None);
            HubClientsProcess? clients = null;
            if (subscribers > 0)
            {
                try
                {
                    clients = await HubClientsProcess.StartAsync(app.Urls.First(), token, clusterId, subscribers, "svc-", TimeSpan.FromMinutes(2), CancellationToken.None);
                }
                catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
                {
                    // A figure too: at this size the hub cannot hand every subscriber its snapshot. The store is still measured.
                    Console.WriteLine($"hub: {subscribers} subscribers did not all receive their snapshot within 2 minutes ({ex.Message}); measuring the store only");
                    hubFailed = true;
                }
            }
            await using var disposeClients = clients;
            var serviceIds = simulator.Swarm.Read(v => v.Services.Select(s => s.Id).ToList());
            var storeArrivals = new Dictionary<(string Service, int Round), long>();
            using var subscription = store.Subscribe(clusterId);
            using var stop = new CancellationTokenSource();
            var reading = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        var batch = await subscription.Batches.ReadAsync(stop.Token);
                        var at = Stopwatch.GetTimestamp();
                        foreach (var change in batch.Changes)
                        {
                            if (change.Resource is ClusterService service && service.Labels.TryGetValue(Label, out var round))
                            {
                                lock (storeArrivals)
                                {
                                    storeArrivals.TryAdd((service.Id, int.Parse(round, CultureInfo.InvariantCulture)), at);
                                }
                            }
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
            var sent = new List<(string Service, int Round, long At)>();
            // CPU time is the figure the other programs on the machine disturb least: latency waits for any of them.
            var processCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clientsCpu = clients?.ProcessorTime ?? TimeSpan.Zero;
            var churn = Stopwatch.StartNew();
            var total = rate * seconds;
            for (var k = 1; k <= total; k++)
            {
                var due = TimeSpan.FromSeconds((double)k / rate);
                if (due > churn.Elapsed)
                {
                    await Task.Delay(due - churn.Elapsed);
                }
                var service = serviceIds[k % serviceIds.Count];
                var at = Stopwatch.GetTimestamp();
                simulator.Swarm.SetServiceLabel(service, Label, k.ToString(CultureInfo.InvariantCulture));
                sent.Add((service, k, at));
            }
            var changeSeconds = churn.Elapsed.TotalSeconds;
            var lastRounds = sent.GroupBy(s => s.Service).ToDictionary(g => g.Key, g => g.Max(s => s.Round), StringComparer.Ordinal);
            await WaitUntilAsync(() =>
            {
                lock (storeArrivals)
                {
                    return lastRounds.All(l => storeArrivals.ContainsKey((l.Key, l.Value)));
                }
            }, TimeSpan.FromSeconds(30));
            if (clients is not null)
            {
                await clients.WaitReachedAsync(lastRounds, TimeSpan.FromSeconds(60));
            }
            // From the first change until the store and every client have the last one (the clients' report is not counted).
            processCpu = Process.GetCurrentProcess().TotalProcessorTime - processCpu;
            clientsCpu = (clients?.ProcessorTime ?? TimeSpan.Zero) - clientsCpu;
            if (clients is not null)
            {
                await clients.CollectAsync();
            }
            await stop.CancelAsync();
            await reading;

            // The store merges changes of one object in a batch: a later round seen first covers the earlier one.
            var storeSamples = new List<double>();
            var storeMissing = 0;
            lock (storeArrivals)
            {
                var byService = storeArrivals.GroupBy(a => a.Key.Service).ToDictionary(g => g.Key, g => g.OrderBy(a => a.Key.Round).ToList());
                foreach (var (service, round, at) in sent)
                {
                    var first = byService.TryGetValue(service, out var seen) ? seen.FirstOrDefault(s => s.Key.Round >= round) : default;
                    if (first.Value > 0)
                    {
                        storeSamples.Add(Percentile.Milliseconds(at, first.Value));
                    }
                    else
                    {
                        storeMissing++;
                    }
                }
            }
            var hubSamples = new List<double>();
            var hubMissing = 0;
            for (var client = 0; client < (clients is null ? 0 : subscribers); client++)
            {
                foreach (var (service, round, at) in sent)
                {
                    if (clients!.FirstArrival(client, service, round) is { } arrived)
                    {
                        hubSamples.Add(Percentile.Milliseconds(at, arrived));
                    }
                    else
                    {
                        hubMissing++;
                    }
                }
            }
            Console.WriteLine($"churn: {total} changes in {changeSeconds:F1} s; store p50 {Percentile.Of(storeSamples, 50):F0} ms p99 {Percentile.Of(storeSamples, 99):F0} ms; " +
                $"hub p50 {Percentile.Of(hubSamples, 50):F0} ms p99 {Percentile.Of(hubSamples, 99):F0} ms");

            var cpu = CpuPerChange(store.GetState(clusterId)!);
            Console.WriteLine($"store: {cpu:F0} µs CPU per change");
            return new Result($"{size.Nodes}/{size.Services}/{size.Tasks}", listing.TotalSeconds, syncSeconds, rss / 1048576.0, (rss - rssBefore) / 1048576.0,
                (heap - heapBefore) / 1048576.0, perMinute, Percentile.Of(storeSamples, 99), storeMissing, hubFailed ? double.NaN : Percentile.Of(hubSamples, 99), hubMissing,
                total, changeSeconds, cpu, processCpu.TotalSeconds, clientsCpu.TotalSeconds);
        }
        finally
        {
            await BenchmarkHost.StopAsync(app, database);
        }
    }

    /// <summary>
    /// CPU time per single-service upsert applied to a store holding a copy of the synced picture, with one
    /// subscriber reading the batches: the store's own cost per change, apart from the watcher and the hub.
    /// </summary>
    private static double CpuPerChange(ClusterState synced)
    {
        var store = new ClusterStateStore();
        store.Register(ClusterInfo.Initial("copy", "copy"));
        foreach (var kind in Enum.GetValues<ResourceKind>())
        {
            store.Apply("copy", synced.All(kind).Select(ResourceChange.Upsert).ToList());
        }
        using var subscription = store.Subscribe("copy");
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    await subscription.Batches.ReadAsync(stop.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var services = synced.Services.ToList();
        const int changes = 5_000;
        Collect();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < changes; i++)
        {
            var service = services[i % services.Count];
            store.Apply("copy", [ResourceChange.Upsert(service with { ObjectVersion = service.ObjectVersion + 1 + (ulong)i, UpdatedAt = DateTimeOffset.UtcNow })]);
        }
        var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        stop.Cancel();
        reader.Wait();
        return used.TotalMicroseconds / changes;
    }

    /// <summary>GET of every listing the watcher makes, read to the end, over the simulator's socket.</summary>
    private static async Task<TimeSpan> ListEverythingAsync(string socket)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        }) { BaseAddress = new Uri("http://engine/"), Timeout = TimeSpan.FromMinutes(5) };
        var watch = Stopwatch.StartNew();
        foreach (var path in new[] { "nodes", "services", "tasks", "containers/json?all=1", "images/json", "secrets", "configs", "networks" })
        {
            var bytes = await http.GetByteArrayAsync($"/v1.41/{path}");
            GC.KeepAlive(bytes);
        }
        return watch.Elapsed;
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                return false;
            }
            await Task.Delay(20);
        }
        return true;
    }

    private static bool TryParseSizes(string value, out List<(int, int, int)> sizes)
    {
        sizes = [];
        foreach (var size in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = size.Split('/');
            if (parts.Length != 3 || !parts.All(p => int.TryParse(p, CultureInfo.InvariantCulture, out var n) && n > 0))
            {
                return false;
            }
            sizes.Add((int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture)));
        }
        return sizes.Count > 0;
    }
}
