namespace ControlPlane.Core.Audit;

/// <summary>
/// The newest audit record at a moment, signed with the <see cref="AuditKey"/> and kept outside the
/// database: a later database that no longer holds this record lost its newest records.
/// <paramref name="KeyedFrom"/> is the id of the first record sealed with the key; records before it
/// were written by a release that chained with plain SHA-256.
/// </summary>
public sealed record AuditCheckpoint(long KeyedFrom, long LastId, string LastHash, DateTimeOffset Time, string Signature = "");

/// <summary>
/// What checking the audit log found: the first record that does not match (null when none), whether
/// records named by the last checkpoint are gone, and in words what is wrong.
/// </summary>
public sealed record AuditVerification(long? FirstBadId, bool Truncated, AuditCheckpoint? Checkpoint, string? Problem)
{
    public bool Ok => Problem is null;
}
