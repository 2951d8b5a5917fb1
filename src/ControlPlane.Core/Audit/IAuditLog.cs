namespace ControlPlane.Core.Audit;

/// <summary>The append-only, hash-chained audit log.</summary>
public interface IAuditLog
{
    /// <summary>Appends an entry at the end of the chain and returns it as stored.</summary>
    Task<AuditRecord> AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default);
}

/// <summary>What to look for in the audit log; every field narrows the result.</summary>
public sealed record AuditQuery(DateTimeOffset? Since = null, string? Actor = null, string? Action = null, string? Cluster = null, int Limit = 1000);
