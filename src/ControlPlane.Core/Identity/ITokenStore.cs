namespace ControlPlane.Core.Identity;

/// <summary>API tokens for automation: created by a user for themselves, stored hashed, revocable, expiring.</summary>
public interface ITokenStore
{
    /// <summary>An account's tokens, newest first, revoked and expired ones included.</summary>
    Task<IReadOnlyList<ApiTokenSummary>> ListAsync(long accountId, CancellationToken ct = default);

    /// <summary>Creates a token; throws <see cref="ArgumentException"/> for a bad name or lifetime.</summary>
    Task<CreatedToken> CreateAsync(long accountId, string name, int expiresInDays, CancellationToken ct = default);

    /// <summary>Revokes one of the account's own tokens; false when the account has no such token.</summary>
    Task<bool> RevokeAsync(long accountId, long tokenId, CancellationToken ct = default);

    /// <summary>The account a live token belongs to, or null for an unknown, expired or revoked token.</summary>
    Task<TokenHolder?> AuthenticateAsync(string token, CancellationToken ct = default);

    /// <summary>Whether a token is still live (neither revoked nor expired), for streams that outlive the request that authenticated them.</summary>
    Task<bool> IsActiveAsync(long tokenId, CancellationToken ct = default);
}
