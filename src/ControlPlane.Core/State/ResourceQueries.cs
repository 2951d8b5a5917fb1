using ControlPlane.Core.Model;

namespace ControlPlane.Core.State;

/// <summary>What a node has and what the tasks scheduled on it reserve.</summary>
public sealed record NodeUsage(long NanoCpus, long MemoryBytes, long ReservedNanoCpus, long ReservedMemoryBytes, int TasksRunning, int TasksScheduled)
{
    public double CpuReservedShare => NanoCpus == 0 ? 0 : (double)ReservedNanoCpus / NanoCpus;

    public double MemoryReservedShare => MemoryBytes == 0 ? 0 : (double)ReservedMemoryBytes / MemoryBytes;
}

/// <summary>Questions the detail pages ask of a cluster's state.</summary>
public static class ResourceQueries
{
    /// <summary>Finds a node by id or hostname.</summary>
    public static ClusterNode? FindNode(this ClusterState state, string idOrHostname) =>
        state.Get<ClusterNode>(ResourceKind.Node, idOrHostname) ?? state.Nodes.FirstOrDefault(n => n.Hostname == idOrHostname);

    /// <summary>Tasks on a node, the ones meant to run first, newest first.</summary>
    public static IEnumerable<ClusterTask> TasksOnNode(this ClusterState state, string nodeId) =>
        state.TasksOn(nodeId)
            .OrderBy(t => t.DesiredState != "running")
            .ThenByDescending(t => t.UpdatedAt);

    /// <summary>Capacity and reservations on a node: what the scheduler counts when it places tasks.</summary>
    public static NodeUsage UsageOf(this ClusterState state, ClusterNode node)
    {
        var scheduled = state.Tasks.Where(t => t.NodeId == node.Id && t.DesiredState == "running").ToList();
        return new NodeUsage(
            node.NanoCpus,
            node.MemoryBytes,
            scheduled.Sum(t => t.ReservedNanoCpus),
            scheduled.Sum(t => t.ReservedMemoryBytes),
            scheduled.Count(t => t.IsRunning),
            scheduled.Count);
    }

    /// <summary>A service's tasks grouped by node (hostname, or "unassigned"), tasks meant to run first.</summary>
    public static IReadOnlyList<IGrouping<string, ClusterTask>> TasksByNode(this ClusterState state, string serviceId)
    {
        var hostnames = state.Nodes.ToDictionary(n => n.Id, n => n.Hostname);
        return state.TasksOf(serviceId)
            .OrderBy(t => t.DesiredState != "running").ThenBy(t => t.Slot).ThenByDescending(t => t.UpdatedAt)
            .GroupBy(t => t.NodeId is { } id ? hostnames.GetValueOrDefault(id, id) : "unassigned")
            .OrderBy(g => g.Key)
            .ToList();
    }

    /// <summary>Recent engine events about a service or its containers, newest first.</summary>
    public static IEnumerable<ClusterEvent> EventsAbout(this ClusterState state, ClusterService service) =>
        state.Events
            .Where(e => e.ActorId == service.Id || e.Attributes.GetValueOrDefault("com.docker.swarm.service.id") == service.Id)
            .OrderByDescending(e => e.Id, StringComparer.Ordinal);
}
