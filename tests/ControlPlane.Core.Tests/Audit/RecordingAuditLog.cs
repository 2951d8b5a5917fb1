using System.Collections.Concurrent;
using ControlPlane.Core.Audit;

namespace ControlPlane.Core.Tests.Audit;

/// <summary>An audit log that keeps what it is given, in order, for tests to read.</summary>
internal sealed class RecordingAuditLog : IAuditLog
{
    private readonly ConcurrentQueue<AuditEntry> _entries = new();

    public IReadOnlyList<AuditEntry> Entries => [.. _entries];

    public Task<AuditRecord> AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        _entries.Enqueue(entry);
        return Task.FromResult(AuditRecord.Chain(_entries.Count, entry, AuditRecord.Genesis));
    }
}
