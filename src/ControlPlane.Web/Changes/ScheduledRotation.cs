using System.Collections.Concurrent;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Leases;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Web.Changes;

/// <summary>
/// Rotates secret families whose schedule is due (families with generated values and a
/// <see cref="RotationPolicy"/>). Every minute the holder of the <see cref="LeaseName"/> database lease looks;
/// with several replicas on one database only that one rotates. Each rotation is an ordinary operation (audited,
/// locked, rolled back on failure) by <see cref="FileFamilyCommands.ScheduledActor"/>.
/// </summary>
public sealed class ScheduledRotation(ClusterStateStore store, FileFamilyCommands changes, IServiceProvider services, TimeProvider time, ILogger<ScheduledRotation> logger) : BackgroundService
{
    public const string LeaseName = "secret-rotation";
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    /// <summary>After a failed attempt, the family waits this long before the next, so a broken service is not hammered every minute.</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromHours(1);

    /// <summary>The scheduler acts on every cluster, like an admin would; the audit log names it.</summary>
    private static readonly ChangeCaller Scheduler = new(FileFamilyCommands.ScheduledActor,
        [new Grant(0, FileFamilyCommands.ScheduledActor, Role.Admin, AccessScope.Everywhere)], null);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _attempted = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Leases live in the database; a host without one (tools, some tests) has nothing to coordinate with.
        if (services.GetService<ILeaseStore>() is not { } leases || services.GetService<LeaseHolder>() is not { } holder)
        {
            logger.LogInformation("Scheduled secret rotation is off: no lease store is configured");
            return;
        }
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await leases.TryAcquireAsync(LeaseName, holder.Name, Interval * 2.5, stoppingToken))
                {
                    await RotateDueAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Scheduled secret rotation failed; retrying at the next interval");
            }
        }
    }

    /// <summary>Starts a rotation of every family whose schedule is due, once per <see cref="RetryAfter"/> at most; answers the operations started.</summary>
    public async Task<IReadOnlyList<string>> RotateDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var started = new List<string>();
        foreach (var cluster in store.Clusters.Where(c => c.Status == ClusterStatus.Synced))
        {
            foreach (var family in FileFamilies.Of(store.GetState(cluster.Id)!, FileObjectKind.Secret))
            {
                var key = $"{cluster.Id}/{family.Name}/{family.Newest.Version}";
                if (family.Policy is not { } policy || !policy.IsDue(family.Newest.CreatedAt, now)
                    || (_attempted.TryGetValue(key, out var last) && now - last < RetryAfter))
                {
                    continue;
                }
                _attempted[key] = now;
                var start = await changes.RotateAsync(Scheduler, cluster.Id, FileObjectKind.Secret, family.Name, ValueSource.None, graceSeconds: null, cancellationToken);
                if (start.Started)
                {
                    logger.LogInformation("Scheduled rotation of {Family} on {Cluster} started as operation {Operation}", family.Name, cluster.Id, start.OperationId);
                    started.Add(start.OperationId!);
                }
                else
                {
                    logger.LogWarning("Scheduled rotation of {Family} on {Cluster} did not start: {Reason}", family.Name, cluster.Id, start.Message);
                }
            }
        }
        return started;
    }
}
