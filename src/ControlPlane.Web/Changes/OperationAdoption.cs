using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.State;

namespace ControlPlane.Web.Changes;

/// <summary>
/// Every replica looks, every <see cref="Interval"/>, for running operations whose owner stopped renewing its lease
/// and adopts them (DESIGN §8): with leases lapsing after 10 s, an operation of a replica that died is carried on
/// within about 12 s. Only an operation whose cluster ControlPlane has in sync is judged, since carrying one on reads
/// the cluster's picture. Nothing happens on a single process without shared locks.
/// </summary>
public sealed class OperationAdoption(OperationRunner runner, IEnumerable<IOperationResumer> resumers, ClusterStateStore store, TimeProvider time, ILogger<OperationAdoption> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                foreach (var id in await runner.AdoptLapsedAsync(resumers, Ready, stoppingToken))
                {
                    logger.LogInformation("Adopted operation {Operation}: the replica running it stopped renewing its lease", id);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogWarning(ex, "Looking for operations to adopt failed; trying again in {Interval}", Interval);
            }
        }
    }

    private bool Ready(Operation operation) =>
        store.Clusters.Any(c => c.Id == operation.ClusterId && c.Status == ClusterStatus.Synced);
}
