using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Docker.Configuration;
using ControlPlane.Docker.Connection;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Benchmarks;

/// <summary>
/// <c>--mode subscriptions</c>: what N subscribers of the public hub cost. Runs the real app on Kestrel
/// (loopback, a free port) against the swarm in <c>DOCKER_HOST</c>, opens N hub clients over WebSockets in
/// a child process, makes a burst of sequential label updates on a few services, and prints per N:
/// latency from each update call returning to the change reaching each client, server memory per
/// subscription, and the Engine API requests the app made per minute, which must not grow with N.
/// </summary>
/// <remarks>
/// Options: --subscribers 1,50,200; --updates N (default 30); --services N (default 3);
/// --window SECONDS over which requests are counted from the burst's start (default 60; the watcher lists
/// tasks every second while a service is hot, 20 s after its last event, and relists everything every 15 s,
/// so a short window would measure the timers' phase);
/// --timeout SECONDS for every client to see the burst (default 60).
/// </remarks>
internal static class SubscriptionBenchmark
{
    public const string RoundLabel = "bench.round";

    public static async Task<int> RunAsync(string[] args)
    {
        int[] subscriberCounts = [1, 50, 200];
        var updates = 30;
        var serviceCount = 3;
        var window = TimeSpan.FromSeconds(60);
        var timeout = TimeSpan.FromSeconds(60);
        for (var a = 0; a < args.Length; a++)
        {
            var value = a + 1 < args.Length ? args[a + 1] : null;
            switch (args[a])
            {
                case "--subscribers" when value is not null && TryParseList(value, out var counts):
                    subscriberCounts = counts;
                    a++;
                    break;
                case "--updates" when int.TryParse(value, CultureInfo.InvariantCulture, out var u) && u > 0:
                    updates = u;
                    a++;
                    break;
                case "--services" when int.TryParse(value, CultureInfo.InvariantCulture, out var s) && s > 0:
                    serviceCount = s;
                    a++;
                    break;
                case "--window" when int.TryParse(value, CultureInfo.InvariantCulture, out var w) && w > 0:
                    window = TimeSpan.FromSeconds(w);
                    a++;
                    break;
                case "--timeout" when int.TryParse(value, CultureInfo.InvariantCulture, out var t) && t > 0:
                    timeout = TimeSpan.FromSeconds(t);
                    a++;
                    break;
                default:
                    return Fail($"unknown or invalid argument '{args[a]}'. Usage: --mode subscriptions --subscribers 1,50,200 --updates N --services N --window SECONDS --timeout SECONDS");
            }
        }

        var (target, dockerHost, problem) = LocalSwarmTarget.Resolve();
        if (target is not { } definition)
        {
            return Fail(problem!);
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

        var run = Guid.NewGuid().ToString("N")[..6];
        var prefix = $"bench-{run}-";
        var database = Path.Combine(Path.GetTempPath(), $"controlplane-bench-{run}.db");
        // The hub needs a signed-in caller; clients use an API token of a bootstrap admin made for this run.
        var adminPassword = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var app = BenchmarkHost.Build(database, adminPassword);
        using var docker = DockerClientFactory.Create(definition.Endpoints[0]);
        var serviceIds = new List<string>();
        try
        {
            await app.StartAsync(ct);
            var url = app.Urls.First();
            var store = app.Services.GetRequiredService<ClusterStateStore>();
            var counter = app.Services.GetRequiredService<EngineRequestCounter>();
            var clusterId = store.Clusters[0].Id;
            var token = await CreateApiTokenAsync(url, adminPassword, ct);
            if (!await WaitUntilAsync(() => store.GetState(clusterId)!.Cluster.Status == ClusterStatus.Synced, TimeSpan.FromSeconds(30), ct))
            {
                var cluster = store.GetState(clusterId)!.Cluster;
                return Fail($"the app did not sync with {dockerHost} within 30 s: {cluster.Status} {cluster.Error}");
            }

            for (var i = 0; i < serviceCount; i++)
            {
                var response = await docker.Swarm.CreateServiceAsync(new ServiceCreateParameters
                {
                    Service = new ServiceSpec
                    {
                        Name = $"{prefix}{i}",
                        Labels = new Dictionary<string, string> { [RoundLabel] = "0" },
                        // No replicas: label updates change the service object only; nothing is scheduled.
                        Mode = new ServiceMode { Replicated = new ReplicatedService { Replicas = 0 } },
                        TaskTemplate = new TaskSpec { ContainerSpec = new ContainerSpec { Image = $"{Registry()}/demo/app:1" } },
                    },
                }, ct);
                serviceIds.Add(response.ID ?? throw new InvalidOperationException($"Docker created {prefix}{i} but returned no id."));
            }
            if (!await WaitUntilAsync(() => serviceIds.All(id => store.GetState(clusterId)!.FindService(id) is not null), timeout, ct))
            {
                return Fail("the created services did not reach the store.");
            }

            Console.WriteLine($"Run {run}: app on {url}, cluster '{clusterId}' at {dockerHost}; {updates} label updates over {serviceCount} services per N, " +
                $"requests counted over {window.TotalSeconds:0} s; GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}");
            var round = 0;
            var measure = new Measurement(store, app.Services.GetRequiredService<ControlPlane.Web.Hubs.ClusterWatchFeeds>(), counter, docker, url, token, clusterId, prefix, serviceIds, updates, window, timeout);
            // Warm-up, not reported: JITs the hub, the clients and the serializers before the first baseline.
            await measure.RunAsync(1, () => ++round, ct);
            var results = new List<Result>();
            foreach (var n in subscriberCounts)
            {
                var result = await measure.RunAsync(n, () => ++round, ct);
                results.Add(result);
                Console.WriteLine($"  N={n}: done ({result.Samples} samples, {result.Missing} missing)");
            }

            Console.WriteLine();
            Console.WriteLine("Per N: latency from the update call returning to each client receiving the change (ms, nearest-rank, over all clients),");
            Console.WriteLine("server memory per subscription (GC heap after full collection and working set, N open minus none, / N),");
            Console.WriteLine("the burst's duration (first update call to last return), the swarm events the app received in the window (ours+others'),");
            Console.WriteLine("and the Engine API requests the app made in the window, also per minute.");
            Console.WriteLine($"{"N",6}{"samples",9}{"missing",9}{"p50 ms",9}{"p99 ms",9}{"max ms",9}{"heap KB/sub",13}{"ws KB/sub",11}{"burst s",9}{"events",12}{"requests",10}{"engine req/min",16}");
            foreach (var r in results)
            {
                Console.WriteLine($"{r.Subscribers,6}{r.Samples,9}{r.Missing,9}{r.P50,9:F1}{r.P99,9:F1}{r.Max,9:F1}{r.HeapPerSubscription / 1024.0,13:F1}{r.WorkingSetPerSubscription / 1024.0,11:F1}{r.BurstSeconds,9:F1}{$"{r.OurEvents}+{r.OtherEvents}",12}{r.Requests,10}{r.RequestsPerMinute,16:F1}");
            }
            // Growth, not spread: the watcher's timers move the count a little either way whatever N is. Only
            // windows in which nobody else used the swarm are comparable: others' events cost requests too.
            var quiet = results.Where(r => r.OtherEvents == 0).ToList();
            var flat = quiet.Count < 2 || quiet.All(r => r.RequestsPerMinute <= quiet[0].RequestsPerMinute * 1.25);
            var excluded = results.Where(r => r.OtherEvents > 0).Select(r => $"N={r.Subscribers}").ToList();
            Console.WriteLine();
            Console.WriteLine($"Engine API requests per minute do not grow with N: {(quiet.Count < 2 ? "NOT JUDGED (fewer than two quiet windows)" : flat ? "YES" : "NO")}" +
                (quiet.Count > 0 ? $" (quiet windows: min {quiet.Min(r => r.RequestsPerMinute):F1}, max {quiet.Max(r => r.RequestsPerMinute):F1})" : "") +
                (excluded.Count > 0 ? $"; not compared, others used the swarm meanwhile: {string.Join(", ", excluded)}" : ""));
            return results.Any(r => r.Missing > 0) || !flat ? 1 : 0;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("Cancelled; removing the services created so far.");
            return 130;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"Benchmark failed: {ClusterConnection.Describe(ex)}");
            Console.Error.WriteLine(ex);
            return 1;
        }
        finally
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            foreach (var id in serviceIds)
            {
                try
                {
                    await docker.Swarm.RemoveServiceAsync(id, cleanup.Token);
                }
                catch (Exception ex)
                {
                    Console.Error.WriteLine($"Cleanup: cannot remove service {id}: {ClusterConnection.Describe(ex)}");
                }
            }
            Console.WriteLine($"Removed {serviceIds.Count} {prefix}* service(s).");
            await BenchmarkHost.StopAsync(app, database, cleanup.Token);
        }
    }

    /// <summary>One N: baseline, N clients, the burst, the arrivals, the request count.</summary>
    private sealed class Measurement(
        ClusterStateStore store,
        ControlPlane.Web.Hubs.ClusterWatchFeeds feeds,
        EngineRequestCounter counter,
        DockerClient docker,
        string url,
        string token,
        string clusterId,
        string prefix,
        IReadOnlyList<string> serviceIds,
        int updates,
        TimeSpan window,
        TimeSpan timeout)
    {
        public async Task<Result> RunAsync(int subscribers, Func<int> nextRound, CancellationToken ct)
        {
            if (!await WaitUntilAsync(() => store.SubscriberCount(clusterId) == 0, timeout, ct))
            {
                throw new InvalidOperationException("Subscriptions of the previous run were not released.");
            }
            var (heapBefore, workingSetBefore) = Memory();
            await using var clients = await HubClientsProcess.StartAsync(url, token, clusterId, subscribers, prefix, timeout, ct);
            // Every stream shares one store subscription (ClusterWatchFeeds): count the streams.
            if (!await WaitUntilAsync(() => feeds.StreamCount(clusterId) == subscribers, timeout, ct))
            {
                throw new InvalidOperationException($"Expected {subscribers} hub streams, the hub has {feeds.StreamCount(clusterId)}.");
            }
            var (heapOpen, workingSetOpen) = Memory();

            var eventsBefore = store.GetState(clusterId)!.Events.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
            var requestsBefore = counter.Count;
            var windowStart = Stopwatch.GetTimestamp();
            var sent = new List<(string Service, int Round, long Returned)>();
            for (var u = 0; u < updates; u++)
            {
                var id = serviceIds[u % serviceIds.Count];
                var round = nextRound();
                // Inspected before the clock starts: only the update call itself is the measured operation.
                var service = await docker.Swarm.InspectServiceAsync(id, ct);
                var spec = service.Spec ?? throw new InvalidOperationException($"Docker returned service {id} without a spec.");
                var version = service.Version?.Index ?? throw new InvalidOperationException($"Docker returned service {id} without a version.");
                spec.Labels = new Dictionary<string, string>(spec.Labels ?? new Dictionary<string, string>()) { [RoundLabel] = round.ToString(CultureInfo.InvariantCulture) };
                await docker.Swarm.UpdateServiceAsync(id, new ServiceUpdateParameters { Service = spec, Version = (long)version }, ct);
                sent.Add((id, round, Stopwatch.GetTimestamp()));
            }
            var burst = Stopwatch.GetElapsedTime(windowStart);
            var lastRounds = sent.GroupBy(s => s.Service).ToDictionary(g => g.Key, g => g.Max(s => s.Round), StringComparer.Ordinal);
            await clients.WaitReachedAsync(lastRounds, timeout);
            await clients.CollectAsync();

            var samples = new List<double>();
            var missing = 0;
            for (var client = 0; client < subscribers; client++)
            {
                foreach (var (service, round, returned) in sent)
                {
                    if (clients.FirstArrival(client, service, round) is { } at)
                    {
                        samples.Add(Percentile.Milliseconds(returned, at));
                    }
                    else
                    {
                        missing++;
                    }
                }
            }

            var rest = window - Stopwatch.GetElapsedTime(windowStart);
            if (rest > TimeSpan.Zero)
            {
                await Task.Delay(rest, ct);
            }
            var requests = counter.Count - requestsBefore;
            var events = store.GetState(clusterId)!.Events.Where(e => !eventsBefore.Contains(e.Id)).ToList();
            var ours = events.Count(e => serviceIds.Contains(e.ActorId));
            var minutes = Stopwatch.GetElapsedTime(windowStart).TotalMinutes;
            return new Result(
                subscribers,
                samples.Count,
                missing,
                Percentile.Of(samples, 50),
                Percentile.Of(samples, 99),
                samples.Count > 0 ? samples.Max() : double.NaN,
                (heapOpen - heapBefore) / (double)subscribers,
                (workingSetOpen - workingSetBefore) / (double)subscribers,
                requests,
                ours,
                events.Count - ours,
                burst.TotalSeconds,
                requests / minutes);
        }
    }

    /// <summary>Signs in as the bootstrap admin and creates an API token, as automation does (POST /api/auth/login, POST /api/tokens).</summary>
    internal static async Task<string> CreateApiTokenAsync(string url, string adminPassword, CancellationToken ct)
    {
        // The sign-in cookie is Secure in Production and the benchmark's host speaks plain http on loopback, where a
        // cookie container would not send it back: carry it by hand.
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(url) };
        using var login = await http.PostAsJsonAsync("/api/auth/login", new { username = "admin", password = adminPassword }, ct);
        if (!login.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /api/auth/login answered {(int)login.StatusCode}: {await login.Content.ReadAsStringAsync(ct)}");
        }
        if (login.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            http.DefaultRequestHeaders.Add("Cookie", string.Join("; ", cookies.Select(c => c.Split(';')[0])));
        }
        using var created = await http.PostAsJsonAsync("/api/tokens", new { name = "subscription-benchmark", expiresInDays = 1 }, ct);
        created.EnsureSuccessStatusCode();
        var body = await created.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct);
        return body.GetProperty("token").GetString() ?? throw new InvalidOperationException($"POST /api/tokens answered without a token: {body}");
    }

    private static (long Heap, long WorkingSet) Memory()
    {
        // Twice, with finalizers in between, so objects freed by finalizers are gone too.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var process = Process.GetCurrentProcess();
        return (GC.GetTotalMemory(forceFullCollection: false), process.WorkingSet64);
    }

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return false;
            }
            // Polling only decides when to stop waiting; every timestamp is taken where the event happens.
            await Task.Delay(20, ct);
        }
        return true;
    }

    private static bool TryParseList(string value, out int[] counts)
    {
        var parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        counts = parts.Select(p => int.TryParse(p, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 0).ToArray();
        return counts.Length > 0 && counts.All(n => n > 0);
    }

    private static string Registry() =>
        Environment.GetEnvironmentVariable("CONTROLPLANE_REGISTRY") is { Length: > 0 } configured ? configured : "10.99.0.1:5000";

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"ControlPlane.Benchmarks: {message}");
        return 2;
    }

    private sealed record Result(
        int Subscribers,
        int Samples,
        int Missing,
        double P50,
        double P99,
        double Max,
        double HeapPerSubscription,
        double WorkingSetPerSubscription,
        long Requests,
        int OurEvents,
        int OtherEvents,
        double BurstSeconds,
        double RequestsPerMinute);
}
