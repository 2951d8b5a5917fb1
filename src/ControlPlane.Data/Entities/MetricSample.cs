namespace ControlPlane.Data.Entities;

/// <summary>A stored <see cref="Core.Metrics.ClusterMetrics"/> reading. Time is Unix seconds so both providers can bucket it.</summary>
public sealed class MetricSample
{
    public long Id { get; set; }

    public required string ClusterId { get; set; }

    public long UnixSeconds { get; set; }

    public int TasksRunning { get; set; }

    public int TasksDesired { get; set; }

    public int TaskFailures { get; set; }

    public int NodesReady { get; set; }

    public int NodesTotal { get; set; }
}
