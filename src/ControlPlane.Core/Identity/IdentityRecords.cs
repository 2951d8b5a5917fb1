using ControlPlane.Core.Security;

namespace ControlPlane.Core.Identity;

/// <summary>A local account as pages and the API show it: never its password hash.</summary>
public sealed record AccountSummary(long Id, string UserName, DateTimeOffset CreatedAt, DateTimeOffset? LockedUntil);

/// <summary>A user as administrators see them: the account and the grants naming it.</summary>
public sealed record UserSummary(long Id, string UserName, DateTimeOffset CreatedAt, DateTimeOffset? LockedUntil, IReadOnlyList<Grant> Grants)
{
    public static UserSummary Of(AccountSummary account, IReadOnlyList<Grant> grants) =>
        new(account.Id, account.UserName, account.CreatedAt, account.LockedUntil, grants);
}

/// <summary>An API token as its owner sees it in a list: its name and first characters, never its value or hash.</summary>
public sealed record ApiTokenSummary(
    long Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary>A token just created: the only time its value exists outside the caller's hands.</summary>
public sealed record CreatedToken(long Id, string Token, DateTimeOffset ExpiresAt);

/// <summary>Whom a live token signs in: the account it belongs to and the token itself.</summary>
public sealed record TokenHolder(AccountSummary Account, ApiTokenSummary Token);

/// <summary>How a sign-in attempt ended.</summary>
public enum SignInOutcome
{
    Succeeded,
    WrongCredentials,
    LockedOut,
}

/// <summary>
/// The answer to a sign-in: the account and its security stamp (read with the password it was checked against) when
/// it succeeded, and until when it is locked otherwise.
/// </summary>
public sealed record SignInResult(SignInOutcome Outcome, AccountSummary? Account, DateTimeOffset? LockedUntil = null, string? SecurityStamp = null);

/// <summary>A successful sign-in: the account, and the security stamp the new session carries.</summary>
public sealed record SignedIn(AccountSummary Account, string SecurityStamp);
