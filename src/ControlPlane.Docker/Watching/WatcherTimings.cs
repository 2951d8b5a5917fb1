namespace ControlPlane.Docker.Watching;

/// <summary>How often the watcher reconciles what events cannot tell it, and how it backs off.</summary>
public sealed record WatcherTimings
{
    /// <summary>Task listing for services that are updating, not converged, or just changed (tasks have no events).</summary>
    public TimeSpan FastReconcile { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Full relist of tasks, nodes, services and containers, a safety net for anything missed.</summary>
    public TimeSpan SlowReconcile { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a service stays on the fast path after an event names it.</summary>
    public TimeSpan HotAfterEvent { get; init; } = TimeSpan.FromSeconds(20);

    public TimeSpan MinBackoff { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How many recent events the store keeps per cluster for the Events page.</summary>
    public int EventsKept { get; init; } = 1000;
}
