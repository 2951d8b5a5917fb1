using ControlPlane.Core.Model;

namespace ControlPlane.Core.Tests.State;

/// <summary>Small builders for model records in tests.</summary>
internal static class Resources
{
    private static readonly DateTimeOffset Created = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public static ClusterInfo Cluster(string id = "c1") => ClusterInfo.Initial(id, id);

    public static ClusterNode Node(string id, string state = "ready") =>
        new(id, $"host-{id}", "worker", "active", state, null, false, "20.10.24", "10.0.0.1", 2_000_000_000, 1 << 30, Labels.Empty, Created, Created);

    public static ClusterService Service(string id, long replicas = 1, string mode = "replicated", string? name = null) =>
        new(id, name ?? $"svc-{id}", "demo/app:1", mode, mode == "global" ? null : replicas, 0, null, null, null, Labels.Empty, Created, Created);

    public static ClusterTask TaskOf(string id, string serviceId, string state = "running", string desired = "running", string? node = "n1") =>
        new(id, serviceId, null, node, 1, state, desired, null, null, "demo/app:1", null, Created, Created);
}
