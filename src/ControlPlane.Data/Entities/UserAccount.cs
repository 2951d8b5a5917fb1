namespace ControlPlane.Data.Entities;

/// <summary>A local account. Only the password's hash is kept (ASP.NET Core Identity's hasher).</summary>
public sealed class UserAccount
{
    public long Id { get; set; }

    public required string UserName { get; set; }

    /// <summary>Null for accounts that sign in through Entra ID only.</summary>
    public string? PasswordHash { get; set; }

    public int FailedSignIns { get; set; }

    public DateTimeOffset? LockedUntil { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? PasswordChangedAt { get; set; }

    /// <summary>Carried by every session of this account; a new value ends the sessions signed in before it.</summary>
    public string SecurityStamp { get; set; } = NewSecurityStamp();

    public static string NewSecurityStamp() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
}
