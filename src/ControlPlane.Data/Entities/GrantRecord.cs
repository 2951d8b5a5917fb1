using ControlPlane.Core.Security;

namespace ControlPlane.Data.Entities;

/// <summary>A stored <see cref="Grant"/>: a role on a scope for a user name or an Entra group.</summary>
public sealed class GrantRecord
{
    public long Id { get; set; }

    public required string Subject { get; set; }

    public Role Role { get; set; }

    public string? Cluster { get; set; }

    public string? Stack { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string CreatedBy { get; set; }

    public Grant ToGrant() => new(Id, Subject, Role, new AccessScope(Cluster, Stack));
}
