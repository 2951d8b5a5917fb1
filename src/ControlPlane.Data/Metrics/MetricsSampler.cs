using ControlPlane.Core.Leases;
using ControlPlane.Core.Metrics;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Data.Metrics;

/// <summary>
/// Every minute, reads each synced cluster's counts from the in-memory store (no Engine API call) into
/// the database, and forgets readings older than a week. With several replicas on one database, only the
/// holder of the <see cref="LeaseName"/> lease samples, so each minute is stored once.
/// </summary>
public sealed class MetricsSampler(ClusterStateStore store, IServiceScopeFactory scopes, ILeaseStore leases, LeaseHolder holder, TimeProvider time, ILogger<MetricsSampler> logger) : BackgroundService
{
    public const string LeaseName = "metrics-sampler";
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = time.GetUtcNow();
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = time.GetUtcNow();
            try
            {
                // Held a little over two intervals: a replica that stops sampling hands over within three minutes.
                if (await leases.TryAcquireAsync(LeaseName, holder.Name, Interval * 2.5, stoppingToken))
                {
                    await SampleAsync(last, now, stoppingToken);
                }
                last = now;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Could not store cluster metrics; retrying at the next interval");
            }
        }
    }

    /// <summary>Stores one reading per synced cluster; the failures counted are those after <paramref name="since"/>.</summary>
    public async Task SampleAsync(DateTimeOffset since, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var repository = scope.ServiceProvider.GetRequiredService<IMetricsRepository>();
        foreach (var cluster in store.Clusters.Where(c => c.Status == ClusterStatus.Synced))
        {
            await repository.AddAsync(ClusterMetrics.Take(store.GetState(cluster.Id)!, since, now), cancellationToken);
        }
        await repository.PruneAsync(now - Retention, cancellationToken);
    }
}
