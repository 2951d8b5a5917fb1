namespace ControlPlane.Docker.Watching;

/// <summary>How often the watcher reconciles what events cannot tell it, and how it backs off.</summary>
public sealed record WatcherTimings
{
    /// <summary>Task listing for services that are updating, not converged, or just changed (tasks have no events).</summary>
    public TimeSpan FastReconcile { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Relist of everything but tasks (nodes, services with their running and desired task counts, containers,
    /// images, secrets, configs, networks): a safety net for changes that send no event. A service whose counts
    /// moved since the last relist, or disagree with its tasks in the store, goes on the fast path, so a task
    /// failing on a worker (no event anywhere) is seen within this interval without listing every task.
    /// </summary>
    public TimeSpan SlowReconcile { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Full relist including every task: the last safety net, for a task replaced between two relists with
    /// its service's counts back where they were. Rare, because at 50,000 tasks (DESIGN §11) one task listing
    /// is tens of megabytes.
    /// </summary>
    public TimeSpan FullResync { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a service stays on the fast path after an event names it.</summary>
    public TimeSpan HotAfterEvent { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many recent events the store keeps per cluster for the Events page.</summary>
    public int EventsKept { get; init; } = 1000;
}
