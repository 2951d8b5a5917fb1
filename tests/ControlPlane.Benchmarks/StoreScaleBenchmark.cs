using System.Diagnostics;
using System.Globalization;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Benchmarks;

/// <summary>
/// <c>--mode store-scale</c>: CPU per change in the store, at two cluster sizes, to show how the cost
/// grows with the cluster (DESIGN §11: it must not grow with it). In-process, no swarm: the store is filled
/// with <see cref="SyntheticCluster"/> objects (5 tasks per service) and each operation is repeated
/// until it has run for --seconds.
/// </summary>
/// <remarks>
/// Operations, each what one change costs:
/// - task change: one task's state flips (running ↔ failed) through <see cref="ClusterStateStore.Apply"/>,
///   with one subscriber reading, and the service's derived replica count follows;
/// - hot-service round: what the watcher does each second for one service in motion: its tasks as
///   listed (one changed) matched against the store, and the difference applied;
/// - stack view: the state as a caller granted one stack sees it, recomputed per batch per subscriber.
/// Options: --sizes 1000,10000 (services; tasks are five times that, nodes a tenth); --seconds 2 per operation.
/// Prints µs of process CPU per change and the ratio between the sizes (the tasks grow 10×).
/// </remarks>
internal static class StoreScaleBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        int[] sizes = [1_000, 10_000];
        var seconds = 2.0;
        for (var a = 0; a < args.Length; a++)
        {
            var value = a + 1 < args.Length ? args[a + 1] : null;
            switch (args[a])
            {
                case "--sizes" when value is not null && value.Split(',').All(v => int.TryParse(v, CultureInfo.InvariantCulture, out var n) && n > 0):
                    sizes = value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                    a++;
                    break;
                case "--seconds" when double.TryParse(value, CultureInfo.InvariantCulture, out var s) && s > 0:
                    seconds = s;
                    a++;
                    break;
                default:
                    Console.Error.WriteLine($"ControlPlane.Benchmarks: unknown or invalid argument '{args[a]}'. Usage: --mode store-scale --sizes 1000,10000 --seconds 2");
                    return Task.FromResult(2);
            }
        }

        var results = new List<(int Services, string Operation, double MicrosPerChange)>();
        foreach (var services in sizes)
        {
            var nodes = Math.Max(3, services / 10);
            var state = SyntheticCluster.Build(nodes, services);
            Console.WriteLine($"store: {nodes} nodes, {services} services, {state.Count(ResourceKind.Task)} tasks");
            foreach (var (name, operation) in Operations(state, nodes, services))
            {
                var micros = Measure(operation, TimeSpan.FromSeconds(seconds));
                results.Add((services, name, micros));
                Console.WriteLine($"  {name,-20} {micros,10:F1} µs CPU per change");
            }
        }

        if (sizes.Length > 1)
        {
            Console.WriteLine();
            Console.WriteLine($"growth from {sizes[0] * SyntheticCluster.TasksPerService} to {sizes[^1] * SyntheticCluster.TasksPerService} tasks ({(double)sizes[^1] / sizes[0]:0}× the cluster):");
            foreach (var operation in results.Select(r => r.Operation).Distinct())
            {
                var first = results.First(r => r.Operation == operation && r.Services == sizes[0]).MicrosPerChange;
                var last = results.First(r => r.Operation == operation && r.Services == sizes[^1]).MicrosPerChange;
                Console.WriteLine($"  {operation,-20} ×{last / first:0.00}");
            }
        }
        return Task.FromResult(0);
    }

    private static IEnumerable<(string Name, Action Operation)> Operations(ClusterState initial, int nodes, int services)
    {
        var store = new ClusterStateStore();
        var cluster = initial.Cluster;
        store.Register(cluster);
        store.Apply(cluster.Id, Enum.GetValues<ResourceKind>().SelectMany(initial.All).Select(ResourceChange.Upsert).ToList(), cluster);
        var subscription = store.Subscribe(cluster.Id);
        var random = new Random(7);
        var flip = false;

        yield return ("task change", () =>
        {
            var s = random.Next(services);
            flip = !flip;
            store.Apply(cluster.Id, [ResourceChange.Upsert(SyntheticCluster.Task(s, 0, nodes, flip ? "failed" : "running"))]);
            Drain(subscription);
        });

        yield return ("hot-service round", () =>
        {
            var s = random.Next(services);
            flip = !flip;
            var hot = new HashSet<string>(StringComparer.Ordinal) { SyntheticCluster.ServiceId(s) };
            var listed = Enumerable.Range(0, SyntheticCluster.TasksPerService)
                .Select(t => (IClusterResource)SyntheticCluster.Task(s, t, nodes, t == 0 && flip ? "failed" : "running"))
                .ToList();
            var state = store.GetState(cluster.Id)!;
            store.Apply(cluster.Id, state.ChangesToMatchTasks(hot, listed));
            Drain(subscription);
        });

        var stackView = ClusterVisibility.For([new Grant(1, "bench", Role.Viewer, AccessScope.OfStack(cluster.Id, "stack0001"))], cluster.Id);
        yield return ("stack view", () =>
        {
            var visible = stackView.Apply(store.GetState(cluster.Id)!);
            GC.KeepAlive(visible);
        });
    }

    private static void Drain(ClusterSubscription subscription)
    {
        while (subscription.Batches.TryRead(out _))
        {
        }
    }

    /// <summary>Process CPU per call, after a warm-up, over at least <paramref name="duration"/> of wall time.</summary>
    private static double Measure(Action operation, TimeSpan duration)
    {
        for (var i = 0; i < 20; i++)
        {
            operation();
        }
        GC.Collect();
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var calls = 0;
        while (wall.Elapsed < duration)
        {
            operation();
            calls++;
        }
        process.Refresh();
        return (process.TotalProcessorTime - cpuBefore).TotalMicroseconds / calls;
    }
}
