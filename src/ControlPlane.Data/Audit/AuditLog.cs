using System.Runtime.CompilerServices;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Telemetry;
using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Data.Audit;

/// <summary>
/// The audit log in the database, sealed with a key kept outside it and anchored by signed checkpoints
/// in a file. Appends are serialized (in this process by a lock, across replicas by the database) so
/// every record links to exactly the one before it.
/// </summary>
public sealed class AuditLog(IServiceScopeFactory scopes, AuditKey key, AuditCheckpointFile checkpoints) : IAuditLog, IAuditReader
{
    private readonly SemaphoreSlim _appendLock = new(1, 1);

    public async Task<AuditRecord> AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        await _appendLock.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (db.Database.IsNpgsql())
            {
                // Several replicas append to one chain: take a transaction-scoped lock first.
                await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(727274)", cancellationToken);
            }
            var last = await db.AuditLog.AsNoTracking().OrderByDescending(a => a.Id).Select(a => new { a.Id, a.Hash }).FirstOrDefaultAsync(cancellationToken);
            var record = key.Seal((last?.Id ?? 0) + 1, entry with { Time = Truncate(entry.Time) }, last?.Hash ?? AuditRecord.Genesis);
            db.AuditLog.Add(ToRow(record));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            ControlPlaneTelemetry.AuditAppended();
            return record;
        }
        finally
        {
            _appendLock.Release();
        }
    }

    /// <summary>Newest first, narrowed by the query.</summary>
    public async Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        var rows = db.AuditLog.AsNoTracking();
        if (query.Since is { } since)
        {
            var ms = since.ToUnixTimeMilliseconds();
            rows = rows.Where(a => a.UnixMilliseconds >= ms);
        }
        if (!string.IsNullOrWhiteSpace(query.Actor))
        {
            rows = rows.Where(a => a.Actor == query.Actor);
        }
        if (!string.IsNullOrWhiteSpace(query.Action))
        {
            rows = rows.Where(a => a.Action.StartsWith(query.Action));
        }
        if (!string.IsNullOrWhiteSpace(query.Cluster))
        {
            rows = rows.Where(a => a.Target == query.Cluster || a.Target.StartsWith(query.Cluster + "/"));
        }
        var found = await rows.OrderByDescending(a => a.Id).Take(Math.Clamp(query.Limit, 1, 10_000)).ToListAsync(cancellationToken);
        return found.Select(a => a.ToRecord()).ToList();
    }

    /// <summary>Walks the whole chain in id order and compares its end with the last checkpoint.</summary>
    public async Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default)
    {
        AuditCheckpoint? checkpoint;
        try
        {
            checkpoint = checkpoints.Read();
        }
        catch (InvalidDataException e)
        {
            return new AuditVerification(null, false, null, e.Message);
        }
        var check = new AuditChainCheck(key, checkpoint);
        await foreach (var record in InOrderAsync(cancellationToken))
        {
            check.Add(record);
        }
        return check.Result();
    }

    /// <summary>
    /// Signs the newest record and writes it to the checkpoint file, unless the last checkpoint's record
    /// is gone: then the old checkpoint stays as the evidence and the answer says why nothing was written.
    /// </summary>
    public async Task<(AuditCheckpoint Checkpoint, bool Written)> CheckpointAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        var previous = checkpoints.Read();
        if (previous is { LastId: > 0 } && !await db.AuditLog.AnyAsync(a => a.Id == previous.LastId && a.Hash == previous.LastHash, cancellationToken))
        {
            return (previous, false);
        }
        var last = await db.AuditLog.AsNoTracking().OrderByDescending(a => a.Id).Select(a => new { a.Id, a.Hash }).FirstOrDefaultAsync(cancellationToken);
        var keyedFrom = previous?.KeyedFrom ?? await FirstSealedAsync(cancellationToken) ?? (last?.Id ?? 0) + 1;
        var checkpoint = key.Sign(new AuditCheckpoint(keyedFrom, last?.Id ?? 0, last?.Hash ?? AuditRecord.Genesis, now));
        checkpoints.Write(checkpoint);
        return (checkpoint, true);
    }

    /// <summary>
    /// Before the first checkpoint: where records sealed with the key begin, as this release appends only
    /// sealed records after the plain SHA-256 ones of earlier releases.
    /// </summary>
    private async Task<long?> FirstSealedAsync(CancellationToken cancellationToken)
    {
        await foreach (var record in InOrderAsync(cancellationToken))
        {
            if (key.IsSealed(record))
            {
                return record.Id;
            }
        }
        return null;
    }

    private async IAsyncEnumerable<AuditRecord> InOrderAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        const int page = 1000;
        long after = 0;
        while (true)
        {
            var rows = await db.AuditLog.AsNoTracking().Where(a => a.Id > after).OrderBy(a => a.Id).Take(page).ToListAsync(cancellationToken);
            if (rows.Count == 0)
            {
                yield break;
            }
            foreach (var row in rows)
            {
                yield return row.ToRecord();
            }
            after = rows[^1].Id;
        }
    }

    /// <summary>Stored times have millisecond precision; hash what is stored.</summary>
    private static DateTimeOffset Truncate(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    private static AuditRow ToRow(AuditRecord record) => new()
    {
        Id = record.Id,
        UnixMilliseconds = record.Entry.Time.ToUnixTimeMilliseconds(),
        Actor = record.Entry.Actor,
        Action = record.Entry.Action,
        Target = record.Entry.Target,
        Result = record.Entry.Result,
        ClientAddress = record.Entry.ClientAddress,
        Detail = record.Entry.Detail,
        Diff = record.Entry.Diff,
        PreviousHash = record.PreviousHash,
        Hash = record.Hash,
    };
}
