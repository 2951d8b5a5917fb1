using ControlPlane.Core.Model;

namespace ControlPlane.Core.State;

/// <summary>How a stack reads at a glance.</summary>
public enum StackHealth
{
    /// <summary>Every service runs what it should and no task failed in the last hour.</summary>
    Healthy,

    /// <summary>Some service is short of replicas or tasks failed recently, but every service runs something.</summary>
    Degraded,

    /// <summary>A service that should run runs nothing, or an update stopped on failures.</summary>
    Failing,
}

/// <summary>
/// The services of one stack (label <c>com.docker.stack.namespace</c>) and the counts that say whether it is well.
/// <see cref="Name"/> is null for the services deployed outside any stack.
/// </summary>
public sealed record StackSummary(
    string? Name,
    IReadOnlyList<ClusterService> Services,
    int ServicesConverged,
    long TasksRunning,
    long TasksDesired,
    int FailingTasks,
    int UpdatesInProgress,
    StackHealth Health)
{
    /// <summary>What the page calls the services outside any stack.</summary>
    public const string NoStackName = "(no stack)";

    /// <summary>How far back a failed or rejected task still counts against its stack.</summary>
    public static readonly TimeSpan FailingWindow = TimeSpan.FromHours(1);

    public string DisplayName => Name ?? NoStackName;

    /// <summary>Every stack of the cluster by name, with the services outside any stack last.</summary>
    public static IReadOnlyList<StackSummary> Of(ClusterState state, DateTimeOffset now)
    {
        var tasksByService = state.Tasks.ToLookup(t => t.ServiceId, StringComparer.Ordinal);
        return state.Services
            .GroupBy(s => s.Stack, StringComparer.Ordinal)
            .Select(g => Of(g.Key, g.ToList(), g.SelectMany(s => tasksByService[s.Id]), now))
            .OrderBy(s => s.Name is null)
            .ThenBy(s => s.Name, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>One stack from its services and their tasks.</summary>
    public static StackSummary Of(string? name, IReadOnlyCollection<ClusterService> services, IEnumerable<ClusterTask> tasks, DateTimeOffset now)
    {
        var ordered = services.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        var failing = tasks.Count(t => IsFailure(t.State) && t.UpdatedAt >= now - FailingWindow);
        var converged = ordered.Count(s => s.IsConverged);
        var health =
            ordered.Any(s => s.ReplicasDesired > 0 && s.ReplicasRunning == 0) || ordered.Any(s => IsStoppedUpdate(s.UpdateState)) ? StackHealth.Failing
            : converged < ordered.Count || failing > 0 ? StackHealth.Degraded
            : StackHealth.Healthy;
        return new StackSummary(
            name,
            ordered,
            converged,
            ordered.Sum(s => (long)s.ReplicasRunning),
            ordered.Sum(s => s.ReplicasDesired ?? 0),
            failing,
            ordered.Count(s => s.IsUpdating),
            health);
    }

    private static bool IsFailure(string taskState) => taskState is "failed" or "rejected";

    // Docker pauses an update (or its rollback) when too many new tasks fail: someone has to act.
    private static bool IsStoppedUpdate(string? updateState) => updateState is "paused" or "rollback_paused";
}
