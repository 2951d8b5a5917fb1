using ControlPlane.Core.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Data.Metrics;

/// <summary>Reads the history for pages, in a scope of its own so no page holds a database context.</summary>
public sealed class MetricsHistory(IServiceScopeFactory scopes, TimeProvider time) : IMetricsHistory
{
    public static readonly TimeSpan Bucket = TimeSpan.FromMinutes(15);

    public async Task<IReadOnlyList<MetricPoint>> LastDayAsync(string clusterId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var now = time.GetUtcNow();
        return await scope.ServiceProvider.GetRequiredService<IMetricsRepository>()
            .GetSeriesAsync(clusterId, now.AddDays(-1), now, Bucket, cancellationToken);
    }
}
