using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ControlPlane.Data.Audit;

/// <summary>Writes a signed audit checkpoint at start, on a schedule and at stop, and logs each one.</summary>
public sealed class AuditCheckpointService(AuditLog log, AuditCheckpointFile file, IOptions<AuditOptions> options, TimeProvider time, ILogger<AuditCheckpointService> logger)
    : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before requests are served: a first start after the upgrade records where sealed records begin.
        await CheckpointAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.CheckpointInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await CheckpointAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await CheckpointAsync(cancellationToken);
        }
        catch (ObjectDisposedException)
        {
            // A host disposed without a graceful stop (as test hosts are) has no database left to read.
        }
    }

    private async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (checkpoint, written) = await log.CheckpointAsync(time.GetUtcNow(), cancellationToken);
            if (written)
            {
                logger.LogInformation("Audit checkpoint: record {LastId} hash {LastHash} at {Time:O}, sealed from record {KeyedFrom}, signature {Signature} (written to {CheckpointFile})",
                    checkpoint.LastId, checkpoint.LastHash, checkpoint.Time, checkpoint.KeyedFrom, checkpoint.Signature, file.Path);
            }
            else
            {
                logger.LogError("Audit log truncated: the checkpoint of {Time:O} names record {LastId} with hash {LastHash}, which is no longer in the database. " +
                    "The checkpoint in {CheckpointFile} is kept as evidence; move it aside once investigated to start a new one.",
                    checkpoint.Time, checkpoint.LastId, checkpoint.LastHash, file.Path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogError(e, "Could not write the audit checkpoint to {CheckpointFile}; set ControlPlane:Audit:CheckpointFile to a writable path", file.Path);
        }
        catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
        {
            // A database that is briefly unreachable must not stop the app; the next tick tries again.
            logger.LogError(e, "Could not write the audit checkpoint");
        }
    }
}
