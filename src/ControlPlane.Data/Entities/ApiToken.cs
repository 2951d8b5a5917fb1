namespace ControlPlane.Data.Entities;

/// <summary>An API token of a user. The token itself is shown once; only its SHA-256 is kept.</summary>
public sealed class ApiToken
{
    public long Id { get; set; }

    public long UserId { get; set; }

    public required string Name { get; set; }

    /// <summary>Hex SHA-256 of the whole token; tokens are long random strings, so no salt is needed.</summary>
    public required string TokenHash { get; set; }

    /// <summary>The first characters, so a user can tell tokens apart in lists.</summary>
    public required string Prefix { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }
}
