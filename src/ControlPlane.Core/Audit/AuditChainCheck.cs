namespace ControlPlane.Core.Audit;

/// <summary>
/// Checks the audit chain one record at a time, in id order, so a long log is read page by page.
/// Records before the checkpoint's <see cref="AuditCheckpoint.KeyedFrom"/> were written by an earlier
/// release and verify by plain SHA-256; every record from there on must be sealed with the key, so
/// rewriting a record and re-hashing the rest without the key is found. The checkpoint's own record
/// must still be there, or the newest records were deleted.
/// </summary>
public sealed class AuditChainCheck(AuditKey key, AuditCheckpoint? checkpoint)
{
    private string _previous = AuditRecord.Genesis;
    private long _lastId;
    private bool _keyed;
    private bool _checkpointFound = checkpoint is null || checkpoint.LastId == 0;
    private readonly bool _checkpointSigned = checkpoint is null || key.IsSigned(checkpoint);

    public long? FirstBadId { get; private set; }

    /// <summary>Checks every record in order and says what was found.</summary>
    public static AuditVerification Verify(IEnumerable<AuditRecord> recordsInOrder, AuditKey key, AuditCheckpoint? checkpoint)
    {
        var check = new AuditChainCheck(key, checkpoint);
        foreach (var record in recordsInOrder)
        {
            check.Add(record);
        }
        return check.Result();
    }

    /// <summary>The next record in id order.</summary>
    public void Add(AuditRecord record)
    {
        if (checkpoint is not null && record.Id == checkpoint.LastId && record.Hash == checkpoint.LastHash)
        {
            _checkpointFound = true;
        }
        if (FirstBadId is not null)
        {
            return;
        }
        var sealedWithKey = key.IsSealed(record);
        // With a checkpoint the switch to the key is fixed; without one (before the first is written) it is the first sealed record.
        var mustBeSealed = checkpoint is not null ? record.Id >= checkpoint.KeyedFrom : _keyed;
        var valid = record.Id == _lastId + 1 // ids are consecutive: a gap means a record was deleted
            && record.PreviousHash == _previous
            && (sealedWithKey ? checkpoint is null || record.Id >= checkpoint.KeyedFrom : !mustBeSealed && record.Hash == AuditRecord.ComputeHash(record.Id, record.Entry, record.PreviousHash));
        if (!valid)
        {
            FirstBadId = record.Id;
            return;
        }
        _keyed |= sealedWithKey;
        _previous = record.Hash;
        _lastId = record.Id;
    }

    public AuditVerification Result()
    {
        if (!_checkpointSigned)
        {
            return new(FirstBadId, false, checkpoint, "The checkpoint file's signature does not match the audit key: the checkpoint or the key was replaced.");
        }
        var truncated = !_checkpointFound;
        var problems = new List<string>();
        if (FirstBadId is { } bad)
        {
            problems.Add($"Record {bad} does not match its content or the record before it.");
        }
        if (truncated)
        {
            problems.Add($"The checkpoint of {checkpoint!.Time:O} names record {checkpoint.LastId} with hash {checkpoint.LastHash}, which is no longer in the database: the newest records were deleted or replaced.");
        }
        return new(FirstBadId, truncated, checkpoint, problems.Count == 0 ? null : string.Join(" ", problems));
    }
}
