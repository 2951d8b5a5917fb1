using ControlPlane.Core.Metrics;
using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Data.Metrics;

/// <summary>Metric readings in the database, downsampled by the database on read.</summary>
public sealed class MetricsRepository(ControlPlaneDbContext db) : IMetricsRepository
{
    public async Task AddAsync(ClusterMetrics metrics, CancellationToken cancellationToken)
    {
        db.MetricSamples.Add(new MetricSample
        {
            ClusterId = metrics.ClusterId,
            UnixSeconds = metrics.Time.ToUnixTimeSeconds(),
            TasksRunning = metrics.TasksRunning,
            TasksDesired = metrics.TasksDesired,
            TaskFailures = metrics.TaskFailures,
            NodesReady = metrics.NodesReady,
            NodesTotal = metrics.NodesTotal,
        });
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<MetricPoint>> GetSeriesAsync(string clusterId, DateTimeOffset from, DateTimeOffset to, TimeSpan bucket, CancellationToken cancellationToken)
    {
        var bucketSeconds = Math.Max(1, (long)bucket.TotalSeconds);
        var (start, end) = (from.ToUnixTimeSeconds(), to.ToUnixTimeSeconds());
        var rows = await db.MetricSamples.AsNoTracking()
            .Where(s => s.ClusterId == clusterId && s.UnixSeconds >= start && s.UnixSeconds <= end)
            .GroupBy(s => s.UnixSeconds / bucketSeconds)
            .Select(g => new
            {
                Bucket = g.Key,
                TasksRunning = g.Average(s => (double)s.TasksRunning),
                TasksDesired = g.Average(s => (double)s.TasksDesired),
                TaskFailures = g.Sum(s => s.TaskFailures),
                NodesReady = g.Average(s => (double)s.NodesReady),
            })
            .OrderBy(p => p.Bucket)
            .ToListAsync(cancellationToken);
        return rows.Select(r => new MetricPoint(DateTimeOffset.FromUnixTimeSeconds(r.Bucket * bucketSeconds), r.TasksRunning, r.TasksDesired, r.TaskFailures, r.NodesReady)).ToList();
    }

    public Task<int> PruneAsync(DateTimeOffset olderThan, CancellationToken cancellationToken)
    {
        var limit = olderThan.ToUnixTimeSeconds();
        return db.MetricSamples.Where(s => s.UnixSeconds < limit).ExecuteDeleteAsync(cancellationToken);
    }
}
