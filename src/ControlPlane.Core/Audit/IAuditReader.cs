namespace ControlPlane.Core.Audit;

/// <summary>Reading the audit log back: a query, and the check of its hash chain.</summary>
public interface IAuditReader
{
    /// <summary>Newest first, narrowed by the query.</summary>
    Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);

    /// <summary>Walks the whole chain in id order; null when intact, else the id of the first record that does not match.</summary>
    Task<long?> FirstBrokenAsync(CancellationToken cancellationToken = default);
}
