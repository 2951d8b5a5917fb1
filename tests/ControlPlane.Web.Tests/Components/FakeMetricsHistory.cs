using ControlPlane.Core.Metrics;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Chart history held in memory, for page tests (the database behind it has tests of its own).</summary>
public sealed class FakeMetricsHistory : IMetricsHistory
{
    public List<MetricPoint> Points { get; } = [];

    public Task<IReadOnlyList<MetricPoint>> LastDayAsync(string clusterId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<MetricPoint>>(Points.ToList());
}
