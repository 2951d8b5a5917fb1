using System.Collections.Concurrent;
using ControlPlane.Core.Audit;

namespace ControlPlane.Core.Tests.Changes;

/// <summary>An audit log in memory that behaves like a database on the caller's token, and can be made to fail.</summary>
public sealed class RecordingAuditLog : IAuditLog
{
    private readonly ConcurrentQueue<AuditEntry> _entries = new();

    public IReadOnlyList<AuditEntry> Entries => [.. _entries];

    /// <summary>When set, every write fails as a database that is down would.</summary>
    public bool Failing { get; set; }

    public Task<AuditRecord> AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Failing)
        {
            throw new InvalidOperationException("the audit database is down");
        }
        _entries.Enqueue(entry);
        return Task.FromResult(AuditRecord.Chain(_entries.Count, entry, AuditRecord.Genesis));
    }
}
