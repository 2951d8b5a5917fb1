using ControlPlane.Core.Audit;

namespace ControlPlane.Data.Entities;

/// <summary>A stored audit record. Rows are only ever added; each carries the hash of the one before.</summary>
public sealed class AuditRow
{
    /// <summary>Assigned by ControlPlane (not the database) so it can be part of the hash.</summary>
    public long Id { get; set; }

    /// <summary>Unix milliseconds: sortable and comparable on every provider.</summary>
    public long UnixMilliseconds { get; set; }

    public required string Actor { get; set; }

    public required string Action { get; set; }

    public required string Target { get; set; }

    public AuditResult Result { get; set; }

    public string? ClientAddress { get; set; }

    public string? Detail { get; set; }

    public string? Diff { get; set; }

    public required string PreviousHash { get; set; }

    public required string Hash { get; set; }

    public AuditRecord ToRecord() => new(Id,
        new AuditEntry(DateTimeOffset.FromUnixTimeMilliseconds(UnixMilliseconds), Actor, Action, Target, Result, ClientAddress, Detail, Diff),
        PreviousHash, Hash);
}
