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
    /// <remarks>
    /// At 50,000 tasks (DESIGN §11): the unfiltered list is built once per state and shared by every open Tasks page,
    /// and a service or node filter starts from the store's index rather than from every task.
    /// </remarks>
    public static TaskRow[] Of(ClusterState state, TaskFilter filter)
    {
        if (filter.IsEmpty)
        {
            return SharedViews.Of(state, "task-rows", s => Rows(s, s.Tasks));
        }
        var serviceId = string.IsNullOrEmpty(filter.Service) ? null : state.FindService(filter.Service)?.Id ?? filter.Service;
        var nodeId = string.IsNullOrEmpty(filter.Node) ? null : state.FindNode(filter.Node)?.Id ?? filter.Node;
        var candidates = serviceId is not null ? state.TasksOf(serviceId) : nodeId is not null ? state.TasksOn(nodeId) : state.Tasks;

        return Rows(state, candidates
            .Where(t => serviceId is null || t.ServiceId == serviceId)
            .Where(t => nodeId is null || t.NodeId == nodeId)
            .Where(t => string.IsNullOrEmpty(filter.State) || t.State == filter.State)
            .Where(t => !filter.RunningOnly || t.DesiredState == "running"));
    }

    private static TaskRow[] Rows(ClusterState state, IEnumerable<ClusterTask> tasks) => tasks
        .Select(t => new TaskRow(
            t,
            state.Get<ClusterService>(ResourceKind.Service, t.ServiceId)?.Name ?? t.ServiceName ?? t.ServiceId,
            t.NodeId is { } node ? state.Get<ClusterNode>(ResourceKind.Node, node)?.Hostname : null))
        .OrderBy(r => r.ServiceName, StringComparer.Ordinal)
        .ThenByDescending(r => r.Task.UpdatedAt)
        .ThenBy(r => r.Task.Id, StringComparer.Ordinal)
        .ToArray();

    /// <summary>The task states present in the cluster, for the state filter.</summary>
    public static IReadOnlyList<string> States(ClusterState state) =>
        SharedViews.Of(state, "task-states", s => s.Tasks.Select(t => t.State).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
}
