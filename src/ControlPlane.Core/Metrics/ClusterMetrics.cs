using ControlPlane.Core.State;

namespace ControlPlane.Core.Metrics;

/// <summary>One reading of a cluster's vital counts, taken every minute and kept for the health charts.</summary>
public sealed record ClusterMetrics(
    string ClusterId,
    DateTimeOffset Time,
    int TasksRunning,
    int TasksDesired,
    int TaskFailures,
    int NodesReady,
    int NodesTotal)
{
    /// <summary>Reads the counts from a state; failures are the tasks that failed after <paramref name="since"/>.</summary>
    public static ClusterMetrics Take(ClusterState state, DateTimeOffset since, DateTimeOffset now) => new(
        state.Cluster.Id,
        now,
        state.Tasks.Count(t => t.IsRunning),
        state.Tasks.Count(t => t.DesiredState == "running"),
        state.Tasks.Count(t => t.State is "failed" or "rejected" && t.UpdatedAt > since && t.UpdatedAt <= now),
        state.Nodes.Count(n => n.State == "ready"),
        state.Count(Model.ResourceKind.Node));
}

/// <summary>A point of a downsampled series: averages of the counts and the sum of failures over a bucket.</summary>
public sealed record MetricPoint(DateTimeOffset Time, double TasksRunning, double TasksDesired, int TaskFailures, double NodesReady);

/// <summary>Where metric readings are kept (the database, in the app).</summary>
public interface IMetricsRepository
{
    Task AddAsync(ClusterMetrics metrics, CancellationToken cancellationToken);

    /// <summary>The readings of one cluster between two times, averaged into buckets of the given size, oldest first.</summary>
    Task<IReadOnlyList<MetricPoint>> GetSeriesAsync(string clusterId, DateTimeOffset from, DateTimeOffset to, TimeSpan bucket, CancellationToken cancellationToken);

    /// <summary>Forgets readings older than the given time.</summary>
    Task<int> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken);
}

/// <summary>The recent history the health overview charts.</summary>
public interface IMetricsHistory
{
    /// <summary>The last 24 hours of a cluster in 15-minute points, oldest first.</summary>
    Task<IReadOnlyList<MetricPoint>> LastDayAsync(string clusterId, CancellationToken cancellationToken);
}
