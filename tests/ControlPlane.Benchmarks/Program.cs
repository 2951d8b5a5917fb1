// ControlPlane.Benchmarks: how much latency ControlPlane adds over the raw Docker event stream.
//
// On a real swarm it creates, then updates, N services one at a time and, for each call, measures
// from the Engine API call returning to
//   - the raw `/events` message for that service arriving on a plain Docker.DotNet stream, and
//   - the change being visible to a subscriber of the ClusterStateStore, fed by the real ClusterWatcher.
// It prints p50/p99 of both and the difference of the p99s (what ControlPlane adds). Goal: < 50 ms.
//
// Run against the local 3-node swarm (2 cores are enough: services have 0 replicas by default, so
// nothing is scheduled; creating and updating a service still emits its event):
//
//   deploy/local-swarm.sh up && set -a && eval "$(deploy/local-swarm.sh env)" && set +a \
//     && dotnet run -c Release --project tests/ControlPlane.Benchmarks -- --count 100
//
// Options: --count N (default 100), --replicas N (default 0), --image IMAGE
// (default $CONTROLPLANE_REGISTRY/demo/app:1), --timeout SECONDS per observation (default 10).
// Every service it creates is named bench-<run>-<i> and removed at the end, also on failure or Ctrl+C.
// Exit codes: 0 goal met; 1 goal missed or observations timed out; 2 bad arguments, DOCKER_HOST
// missing or the swarm unreachable.
//
// A second mode measures what subscribers of the public hub cost (SubscriptionBenchmark.cs):
//   dotnet run -c Release --project tests/ControlPlane.Benchmarks -- --mode subscriptions --subscribers 1,50,200
// --mode latency (the default) is the benchmark in this file.
// --mode scale measures issue 14's goals against an in-process simulated swarm manager (ScaleBenchmark.cs):
//   dotnet run -c Release --project tests/ControlPlane.Benchmarks -- --mode scale

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using ControlPlane.Benchmarks;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Docker.Configuration;
using ControlPlane.Docker.Connection;
using ControlPlane.Docker.Watching;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;

switch (ModeOf(ref args))
{
    case "latency":
        break;
    case "subscriptions":
        return await SubscriptionBenchmark.RunAsync(args);
    case "rotation":
        return await RotationBenchmark.RunAsync(args);
    case "rollout":
        return await RolloutBenchmark.RunAsync(args);
    case "stack-deploy":
        return await StackDeployBenchmark.RunAsync(args);
    case "replicas":
        return await ReplicaCostBenchmark.RunAsync(args);
    case "docker-cli":
        return await DockerCliBenchmark.RunAsync(args);
    case "scale":
        return await ScaleBenchmark.RunAsync(args);
    case "page-memory":
        return await PageMemoryBenchmark.RunAsync(args);
    case "first-render":
        return await FirstRenderBenchmark.RunAsync(args);
    case "store-scale":
        return await StoreScaleBenchmark.RunAsync(args);
    case HubClientsProcess.Mode:
        return await HubClientsProcess.RunClientsAsync(args);
    case var unknown:
        return Fail($"unknown --mode '{unknown}'; use latency (the default), subscriptions, rotation, rollout, stack-deploy, docker-cli, store-scale, page-memory or first-render.");
}

const double GoalMs = 50;
const string RoundLabel = "bench.round";

var count = 100;
var replicas = 0UL;
var registry = Environment.GetEnvironmentVariable("CONTROLPLANE_REGISTRY") is { Length: > 0 } configured ? configured : "10.99.0.1:5000";
var image = $"{registry}/demo/app:1";
var timeout = TimeSpan.FromSeconds(10);
for (var a = 0; a < args.Length; a++)
{
    var value = a + 1 < args.Length ? args[a + 1] : null;
    switch (args[a])
    {
        case "--count" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
            count = n;
            a++;
            break;
        case "--replicas" when ulong.TryParse(value, CultureInfo.InvariantCulture, out var r):
            replicas = r;
            a++;
            break;
        case "--image" when !string.IsNullOrWhiteSpace(value):
            image = value;
            a++;
            break;
        case "--timeout" when int.TryParse(value, CultureInfo.InvariantCulture, out var s) && s > 0:
            timeout = TimeSpan.FromSeconds(s);
            a++;
            break;
        default:
            return Fail($"unknown or invalid argument '{args[a]}'. Usage: --count N --replicas N --image IMAGE --timeout SECONDS");
    }
}

var (target, dockerHost, problem) = LocalSwarmTarget.Resolve();
if (target is not { } definition)
{
    return Fail(problem!);
}
if (definition.Endpoints[0].Uri is { Scheme: "unix" } socket && !File.Exists(socket.AbsolutePath))
{
    // Otherwise the socket client reports a bare "Cannot assign requested address".
    return Fail($"cannot reach Docker at {dockerHost}: the socket {socket.AbsolutePath} does not exist (is the swarm up?).");
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Keep the process alive so the finally blocks remove the services.
    e.Cancel = true;
    cts.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cts.Cancel();
});
var ct = cts.Token;

using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
// The benchmark's own client: creates, updates and the raw event stream never go through the counted connection.
using var docker = DockerClientFactory.Create(definition.Endpoints[0]);
try
{
    using var ping = CancellationTokenSource.CreateLinkedTokenSource(ct);
    ping.CancelAfter(TimeSpan.FromSeconds(5));
    var info = await docker.System.GetSystemInfoAsync(ping.Token);
    if (info.Swarm?.ControlAvailable != true)
    {
        return Fail($"{dockerHost} is not a swarm manager (swarm state: {info.Swarm?.LocalNodeState ?? "none"}).");
    }
}
catch (Exception ex) when (!ct.IsCancellationRequested)
{
    return Fail($"cannot reach Docker at {dockerHost}: {ClusterConnection.Describe(ex)}");
}

// The real pipeline, in-process.
var counter = new EngineRequestCounter();
using var connection = new ClusterConnection(definition, counter, loggers.CreateLogger<ClusterConnection>());
var store = new ClusterStateStore();
var watcher = new ClusterWatcher(connection, store, new WatcherTimings(), TimeProvider.System, loggers.CreateLogger<ClusterWatcher>());
using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
var watching = Task.Run(() => watcher.RunAsync(stop.Token), CancellationToken.None);

var run = Guid.NewGuid().ToString("N")[..6];
var prefix = $"bench-{run}-";
var rawArrivals = new Arrivals();
var storeArrivals = new Arrivals();
var created = new List<string>();
var exitCode = 0;
Task? rawStream = null;
Task? storeReader = null;
try
{
    if (!await WaitForSyncAsync())
    {
        var cluster = store.GetState(watcher.ClusterId)!.Cluster;
        return Fail($"the watcher did not sync within 30 s: {cluster.Status} {cluster.Error}");
    }

    // Raw stream, timestamped in the synchronous Report call: Progress<T> would post to the thread pool
    // and add its scheduling delay (and reorder events).
    var rawParameters = new ContainerEventsParameters
    {
        Filters = new Dictionary<string, IDictionary<string, bool>> { ["type"] = new Dictionary<string, bool> { ["service"] = true } },
    };
    rawStream = docker.System.MonitorEventsAsync(rawParameters, new SynchronousProgress<Message>(m =>
    {
        var at = Stopwatch.GetTimestamp();
        if (m.Actor?.ID is { Length: > 0 } id)
        {
            rawArrivals.Record($"{id}/{m.Action}", at);
        }
    }), stop.Token);

    // What a page or hub client sees: the subscription's batches, timestamped when the reader gets them.
    var subscription = store.Subscribe(watcher.ClusterId);
    storeReader = Task.Run(async () =>
    {
        using (subscription)
        {
            await foreach (var batch in subscription.Batches.ReadAllAsync(stop.Token))
            {
                var at = Stopwatch.GetTimestamp();
                foreach (var change in batch.Changes)
                {
                    if (change.Resource is ClusterService service && service.Name.StartsWith(prefix, StringComparison.Ordinal))
                    {
                        // Matched on content: an update is visible once the new label is, not when the id reappears.
                        storeArrivals.Record($"{service.Id}/{service.Labels.GetValueOrDefault(RoundLabel)}", at);
                    }
                }
            }
        }
    }, CancellationToken.None);

    // Warm-up, not measured: proves both streams are live before the first sample and JITs the paths.
    var warmup = await CreateAsync($"{prefix}warmup");
    if (warmup.Raw is null || warmup.Store is null)
    {
        return Fail($"warm-up service not observed within {timeout.TotalSeconds:0} s (raw event: {warmup.Raw is not null}, store: {warmup.Store is not null}).");
    }
    await UpdateAsync(warmup.Id, 1);

    var requestsBefore = counter.Count;
    var creates = new List<(double Raw, double Store)>();
    var updates = new List<(double Raw, double Store)>();
    var timeouts = new List<string>();
    Console.WriteLine($"Run {run}: {count} services, {replicas} replica(s), image {image}, DOCKER_HOST={dockerHost}");

    var ids = new List<string>();
    for (var i = 1; i <= count; i++)
    {
        var sample = await CreateAsync($"{prefix}{i}");
        ids.Add(sample.Id);
        Collect("create", sample, creates, timeouts);
    }
    foreach (var id in ids)
    {
        Collect("update", await UpdateAsync(id, 1), updates, timeouts);
    }
    var requests = counter.Count - requestsBefore;

    Console.WriteLine();
    Console.WriteLine("Latency from the Engine API call returning (ms, nearest-rank percentiles):");
    Console.WriteLine($"{"operation",-10}{"n",5}{"raw p50",10}{"raw p99",10}{"store p50",11}{"store p99",11}{"added p99",11}");
    var all = creates.Concat(updates).ToList();
    foreach (var (name, samples) in new[] { ("create", creates), ("update", updates), ("all", all) })
    {
        var raw = samples.Select(s => s.Raw).ToList();
        var seen = samples.Select(s => s.Store).ToList();
        var added = Percentile.Of(seen, 99) - Percentile.Of(raw, 99);
        Console.WriteLine($"{name,-10}{samples.Count,5}{Percentile.Of(raw, 50),10:F1}{Percentile.Of(raw, 99),10:F1}{Percentile.Of(seen, 50),11:F1}{Percentile.Of(seen, 99),11:F1}{added,11:F1}");
    }
    var allAdded = Percentile.Of(all.Select(s => s.Store).ToList(), 99) - Percentile.Of(all.Select(s => s.Raw).ToList(), 99);
    // Also per sample: the p99 of differences shows whether the gap is in every call or only in the tail.
    var perSampleP99 = Percentile.Of(all.Select(s => s.Store - s.Raw).ToList(), 99);
    var perSampleP50 = Percentile.Of(all.Select(s => s.Store - s.Raw).ToList(), 50);
    Console.WriteLine();
    Console.WriteLine($"Per-call store minus raw: p50 {perSampleP50:F1} ms, p99 {perSampleP99:F1} ms");
    Console.WriteLine($"Engine API requests by the watcher during the run: {requests} ({counter.Count} since start, including the initial sync and warm-up)");
    if (timeouts.Count > 0)
    {
        Console.WriteLine($"Timed out ({timeouts.Count}, excluded from the table): {string.Join(", ", timeouts.Take(10))}{(timeouts.Count > 10 ? ", ..." : "")}");
    }
    var met = all.Count > 0 && allAdded < GoalMs && timeouts.Count == 0;
    Console.WriteLine($"Goal: ControlPlane adds < {GoalMs:F0} ms at p99 over the raw event: {(met ? "MET" : "MISSED")} ({allAdded:F1} ms)");
    exitCode = met ? 0 : 1;
}
catch (OperationCanceledException) when (ct.IsCancellationRequested)
{
    Console.Error.WriteLine("Cancelled; removing the services created so far.");
    exitCode = 130;
}
catch (Exception ex)
{
    Console.Error.WriteLine($"Benchmark failed: {ClusterConnection.Describe(ex)}");
    Console.Error.WriteLine(ex);
    exitCode = 1;
}
finally
{
    await CleanUpAsync();
    stop.Cancel();
    await Task.WhenAll(new[] { watching, rawStream, storeReader }.OfType<Task>()).ContinueWith(_ => { }, TaskScheduler.Default);
}
return exitCode;

async Task<bool> WaitForSyncAsync()
{
    var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
    while (Stopwatch.GetTimestamp() < deadline)
    {
        if (store.GetState(watcher.ClusterId)?.Cluster.Status == ClusterStatus.Synced)
        {
            return true;
        }
        await Task.Delay(50, ct);
    }
    return false;
}

async Task<Sample> CreateAsync(string name)
{
    var spec = new ServiceSpec
    {
        Name = name,
        Labels = new Dictionary<string, string> { [RoundLabel] = "0" },
        Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = replicas } },
        TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = image } },
    };
    var start = Stopwatch.GetTimestamp();
    var response = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters { Service = spec }, ct);
    var returned = Stopwatch.GetTimestamp();
    var id = response.ID ?? throw new InvalidOperationException($"Docker created {name} but returned no id.");
    lock (created)
    {
        created.Add(id);
    }
    return await ObserveAsync(id, "create", "0", start, returned);
}

async Task<Sample> UpdateAsync(string id, int round)
{
    // Inspected before the clock starts: only the update call itself is the measured operation.
    var service = await docker.Swarm.InspectServiceAsync(id, ct);
    var spec = service.Spec ?? throw new InvalidOperationException($"Docker returned service {id} without a spec.");
    var version = service.Version?.Index ?? throw new InvalidOperationException($"Docker returned service {id} without a version.");
    spec.Labels = new Dictionary<string, string>(spec.Labels ?? new Dictionary<string, string>()) { [RoundLabel] = round.ToString(CultureInfo.InvariantCulture) };
    var start = Stopwatch.GetTimestamp();
    await docker.Swarm.UpdateServiceAsync(id, new ServiceUpdateParameters { Service = spec, Version = (long)version }, ct);
    var returned = Stopwatch.GetTimestamp();
    return await ObserveAsync(id, "update", round.ToString(CultureInfo.InvariantCulture), start, returned);
}

async Task<Sample> ObserveAsync(string id, string action, string round, long start, long returned)
{
    var raw = rawArrivals.WaitAsync($"{id}/{action}", start, timeout, ct);
    var seen = storeArrivals.WaitAsync($"{id}/{round}", start, timeout, ct);
    await Task.WhenAll(raw, seen);
    return new Sample(id, returned, await raw, await seen);
}

void Collect(string operation, Sample sample, List<(double Raw, double Store)> samples, List<string> timeouts)
{
    if (sample.Raw is { } raw && sample.Store is { } seen)
    {
        samples.Add((Percentile.Milliseconds(sample.Returned, raw), Percentile.Milliseconds(sample.Returned, seen)));
    }
    else
    {
        timeouts.Add($"{operation} {sample.Id[..12]} ({(sample.Raw is null ? "raw" : "")}{(sample.Raw is null && sample.Store is null ? "+" : "")}{(sample.Store is null ? "store" : "")})");
    }
}

async Task CleanUpAsync()
{
    // Not the run's token: cleanup must happen precisely when that one was cancelled.
    using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(120));
    var ids = new HashSet<string>(StringComparer.Ordinal);
    lock (created)
    {
        ids.UnionWith(created);
    }
    try
    {
        // Also by name, for a create that reached the swarm but whose response was lost to a cancel.
        var listed = await docker.Swarm.ListServicesAsync(new ServiceListParameters
        {
            Filters = new Dictionary<string, IDictionary<string, bool>> { ["name"] = new Dictionary<string, bool> { [prefix] = true } },
        }, cleanup.Token);
        ids.UnionWith(listed.Where(s => s.Spec?.Name?.StartsWith(prefix, StringComparison.Ordinal) == true).Select(s => s.ID));
    }
    catch (Exception ex)
    {
        Console.Error.WriteLine($"Cleanup: cannot list {prefix}* services: {ClusterConnection.Describe(ex)}");
    }
    var failed = 0;
    foreach (var id in ids)
    {
        try
        {
            await docker.Swarm.RemoveServiceAsync(id, cleanup.Token);
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
        }
        catch (Exception ex)
        {
            failed++;
            Console.Error.WriteLine($"Cleanup: cannot remove service {id}: {ClusterConnection.Describe(ex)}");
        }
    }
    Console.WriteLine(failed == 0
        ? $"Removed {ids.Count} {prefix}* service(s)."
        : $"Cleanup left {failed} {prefix}* service(s); remove them with: docker service ls -q --filter name={prefix} | xargs docker service rm");
}

/// Takes "--mode X" out of the arguments; "latency" when absent.
static string ModeOf(ref string[] arguments)
{
    var at = Array.IndexOf(arguments, "--mode");
    if (at < 0 || at + 1 >= arguments.Length)
    {
        return at < 0 ? "latency" : "";
    }
    var mode = arguments[at + 1];
    arguments = [.. arguments[..at], .. arguments[(at + 2)..]];
    return mode;
}

static int Fail(string message)
{
    Console.Error.WriteLine($"ControlPlane.Benchmarks: {message}");
    return 2;
}

/// <summary>One operation: when its call returned and when each observer first saw it (null: timed out).</summary>
internal sealed record Sample(string Id, long Returned, long? Raw, long? Store);

/// <summary>Reports on the caller's thread, so the arrival timestamp is taken as the message is read.</summary>
internal sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
