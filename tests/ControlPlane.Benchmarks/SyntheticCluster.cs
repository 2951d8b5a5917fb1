using ControlPlane.Core.Model;
using ControlPlane.Core.State;

namespace ControlPlane.Benchmarks;

/// <summary>
/// A cluster picture of any size built in memory, shaped like what the watcher maps from a real swarm:
/// services in stacks of ten, five tasks per service spread over the nodes (one running, the rest history
/// as a swarm keeps it), one stack label per service. Deterministic, so two runs compare.
/// Also compiled into ControlPlane.Web.Tests for the pages' row-count tests.
/// </summary>
public static class SyntheticCluster
{
    public const int TasksPerService = 5;

    private static readonly DateTimeOffset Origin = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public static string NodeId(int n) => $"node{n:D6}xxxxxxxxxxxxxxxxxx";

    public static string ServiceId(int s) => $"svc{s:D7}xxxxxxxxxxxxxxxx";

    public static string TaskId(int s, int t) => $"task{s:D7}{t:D2}xxxxxxxxxxxx";

    public static ClusterNode Node(int n) => new(
        NodeId(n), $"worker-{n:D4}", n < 3 ? "manager" : "worker", "active", "ready", n < 3 ? "reachable" : null, n == 0,
        "20.10.24", $"10.{n / 250}.{n % 250}.1", 4_000_000_000, 8L << 30, Labels.Empty, Origin, Origin)
    { ObjectVersion = 10 };

    public static ClusterService Service(int s) => new(
        ServiceId(s), $"stack{s / 10:D4}_svc{s:D5}", $"registry.example/app{s % 50}:1.{s % 7}", "replicated", 1, 0,
        $"stack{s / 10:D4}", null, null, Labels.Empty, Origin, Origin.AddMinutes(s % 1000))
    { ObjectVersion = 20 };

    /// <summary>Task <paramref name="t"/> of service <paramref name="s"/>: slot 1; task 0 runs, the others were shut down.</summary>
    public static ClusterTask Task(int s, int t, int nodes, string state = "running") => new(
        TaskId(s, t), ServiceId(s), Service(s).Name, NodeId((s * TasksPerService + t) % nodes), 1,
        t == 0 ? state : "shutdown", t == 0 ? "running" : "shutdown", t == 0 ? "started" : "shutdown", null,
        $"registry.example/app{s % 50}:1.{s % 7}", $"{s:D12}{t:D2}cccccccccccccccccccccccccccccccccccccccccccccccccc",
        Origin.AddMinutes(-t), Origin.AddMinutes(-t))
    { ObjectVersion = (ulong)(30 + t) };

    /// <summary>The store's state for a cluster of this size, built by the store's own Apply.</summary>
    public static ClusterState Build(int nodes, int services, string clusterId = "synthetic")
    {
        var changes = new List<ResourceChange>(nodes + services * (TasksPerService + 1));
        for (var n = 0; n < nodes; n++)
        {
            changes.Add(ResourceChange.Upsert(Node(n)));
        }
        for (var s = 0; s < services; s++)
        {
            changes.Add(ResourceChange.Upsert(Service(s)));
            for (var t = 0; t < TasksPerService; t++)
            {
                changes.Add(ResourceChange.Upsert(Task(s, t, nodes)));
            }
        }
        var cluster = ClusterInfo.Initial(clusterId, clusterId) with { Status = ClusterStatus.Synced };
        return ClusterState.Empty(cluster).Apply(changes, cluster).State;
    }
}
