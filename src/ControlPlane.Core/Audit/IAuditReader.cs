namespace ControlPlane.Core.Audit;

/// <summary>Reading the audit log back: a query, and the check of its hash chain.</summary>
public interface IAuditReader
{
    /// <summary>Newest first, narrowed by the query.</summary>
    Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);

    /// <summary>Walks the whole chain in id order and compares its end with the last checkpoint.</summary>
    Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default);
}
