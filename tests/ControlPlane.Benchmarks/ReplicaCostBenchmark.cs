using System.Diagnostics;
using System.Globalization;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Docker.Connection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Benchmarks;

/// <summary>
/// <c>--mode replicas</c>: what running ControlPlane as several replicas costs the Engine API. Each replica watches the
/// clusters itself (DESIGN §3: one watcher per cluster per process), so the cost grows with the replica count; this
/// starts 1, then 3 real hosts on DOCKER_HOST, waits until each has its picture in sync, and counts the Engine API
/// requests all of them make in a quiet window. Prints requests per minute for each count.
/// Options: --replicas 1,3 (the counts), --seconds N (the window, default 60).
/// </summary>
internal static class ReplicaCostBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        int[] counts = [1, 3];
        var seconds = 60;
        for (var a = 0; a < args.Length; a++)
        {
            var value = a + 1 < args.Length ? args[a + 1] : null;
            switch (args[a])
            {
                case "--replicas" when value is not null:
                    counts = value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                    a++;
                    break;
                case "--seconds" when int.TryParse(value, CultureInfo.InvariantCulture, out var s) && s > 0:
                    seconds = s;
                    a++;
                    break;
                default:
                    Console.Error.WriteLine($"unknown option '{args[a]}'; use --replicas 1,3 and --seconds N");
                    return 2;
            }
        }
        Console.WriteLine($"Engine API requests per minute, each replica watching the cluster itself ({seconds} s window, no changes made):");
        foreach (var count in counts)
        {
            var hosts = new List<(WebApplication App, string Database, string Audit)>();
            try
            {
                for (var i = 0; i < count; i++)
                {
                    var database = Path.Combine(Path.GetTempPath(), $"cp-bench-replicas-{Guid.NewGuid():N}.db");
                    // Each host its own audit key and checkpoint, as it has its own database.
                    var audit = Path.Combine(Path.GetTempPath(), $"cp-bench-replicas-audit-{Guid.NewGuid():N}");
                    var app = BenchmarkHost.Build(database, "bench-replicas-password", $"--ControlPlane:Audit:KeyFile={Path.Combine(audit, "audit.key")}");
                    await app.StartAsync();
                    hosts.Add((app, database, audit));
                }
                foreach (var (app, _, _) in hosts)
                {
                    var store = app.Services.GetRequiredService<ClusterStateStore>();
                    var deadline = Stopwatch.StartNew();
                    while (!store.Clusters.Any(c => c.Status == ClusterStatus.Synced))
                    {
                        if (deadline.Elapsed > TimeSpan.FromMinutes(2))
                        {
                            Console.Error.WriteLine("a replica did not get its picture of the cluster in sync within 2 minutes");
                            return 1;
                        }
                        await Task.Delay(200);
                    }
                }
                var counters = hosts.Select(h => h.App.Services.GetRequiredService<EngineRequestCounter>()).ToList();
                var before = counters.Sum(c => c.Count);
                await Task.Delay(TimeSpan.FromSeconds(seconds));
                var requests = counters.Sum(c => c.Count) - before;
                var perMinute = requests * 60.0 / seconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {count} replica(s): {perMinute:0} requests/min ({perMinute / count:0} per replica)"));
            }
            finally
            {
                foreach (var (app, database, audit) in hosts)
                {
                    await BenchmarkHost.StopAsync(app, database);
                    Directory.Delete(audit, recursive: true);
                }
            }
        }
        return 0;
    }
}
