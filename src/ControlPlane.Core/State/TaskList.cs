using ControlPlane.Core.Model;

namespace ControlPlane.Core.State;

/// <summary>Which tasks the tasks page shows. Each filter takes an id or a name, so links can use either.</summary>
public sealed record TaskFilter(string? Service = null, string? Node = null, string? State = null, bool RunningOnly = false)
{
    public bool IsEmpty => string.IsNullOrEmpty(Service) && string.IsNullOrEmpty(Node) && string.IsNullOrEmpty(State) && !RunningOnly;
}

/// <summary>A task with the names the page shows for its service and node.</summary>
public sealed record TaskRow(ClusterTask Task, string ServiceName, string? NodeHostname)
{
    /// <summary>What <c>docker service ps</c> calls the task: <c>service.slot</c>, or <c>service.node</c> for global services.</summary>
    public string DisplayName => Task.Slot is { } slot ? $"{ServiceName}.{slot}" : $"{ServiceName}.{Task.NodeId ?? Task.Id}";
}

/// <summary>Filters and orders a cluster's tasks for the tasks page.</summary>
public static class TaskList
{
    /// <summary>
    /// The tasks matching <paramref name="filter"/>, by service name and newest first within a service.
    /// An array, because <c>Virtualize</c> wants a collection it can count and index.
    /// </summary>
    public static TaskRow[] Of(ClusterState state, TaskFilter filter)
    {
        var serviceNames = state.Services.ToDictionary(s => s.Id, s => s.Name, StringComparer.Ordinal);
        var hostnames = state.Nodes.ToDictionary(n => n.Id, n => n.Hostname, StringComparer.Ordinal);
        var serviceId = string.IsNullOrEmpty(filter.Service) ? null : state.FindService(filter.Service)?.Id ?? filter.Service;
        var nodeId = string.IsNullOrEmpty(filter.Node) ? null : state.FindNode(filter.Node)?.Id ?? filter.Node;

        return state.Tasks
            .Where(t => serviceId is null || t.ServiceId == serviceId)
            .Where(t => nodeId is null || t.NodeId == nodeId)
            .Where(t => string.IsNullOrEmpty(filter.State) || t.State == filter.State)
            .Where(t => !filter.RunningOnly || t.DesiredState == "running")
            .Select(t => new TaskRow(
                t,
                serviceNames.GetValueOrDefault(t.ServiceId) ?? t.ServiceName ?? t.ServiceId,
                t.NodeId is { } node ? hostnames.GetValueOrDefault(node) : null))
            .OrderBy(r => r.ServiceName, StringComparer.Ordinal)
            .ThenByDescending(r => r.Task.UpdatedAt)
            .ThenBy(r => r.Task.Id, StringComparer.Ordinal)
            .ToArray();
    }

    /// <summary>The task states present in the cluster, for the state filter.</summary>
    public static IReadOnlyList<string> States(ClusterState state) =>
        state.Tasks.Select(t => t.State).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
}
