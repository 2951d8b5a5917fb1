using System.Collections.Concurrent;
using System.Security.Claims;
using ControlPlane.Core.Identity;
using Microsoft.Extensions.Options;

namespace ControlPlane.Web.Authentication;

/// <summary>
/// Whether a sign-in still holds: a cookie session of a local account carries the account's security stamp, which a
/// password change or a sign-out everywhere replaces; an API token must be neither revoked nor expired. Asked on every
/// cookie request, by open pages and by hub streams, so revoking access ends what is already open.
/// </summary>
public sealed class SessionValidator(IAccountStore accounts, ITokenStore tokens, IOptions<SessionCheckOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<long, (string? Stamp, DateTimeOffset ReadAt)> _stamps = new();

    /// <summary>
    /// False when the principal's sign-in was revoked. Entra ID users hold no local stamp (Entra ends their sign-in);
    /// their grants, like everyone's, are read again for every action.
    /// </summary>
    public async Task<bool> IsCurrentAsync(ClaimsPrincipal principal, CancellationToken ct = default)
    {
        if (principal.Identity?.IsAuthenticated != true)
        {
            return true;
        }
        if (principal.ApiTokenId() is { } tokenId)
        {
            return await tokens.IsActiveAsync(tokenId, ct);
        }
        if (principal.LocalAccountId() is not { } accountId)
        {
            return true;
        }
        // A local session without a stamp was signed in before stamps existed: it ends, as after a password change.
        return principal.FindFirstValue(ControlPlaneClaims.SecurityStamp) is { } stamp && stamp == await StampAsync(accountId, ct);
    }

    private async Task<string?> StampAsync(long accountId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_stamps.TryGetValue(accountId, out var cached) && now - cached.ReadAt < options.Value.StampCacheDuration)
        {
            return cached.Stamp;
        }
        var stamp = await accounts.SecurityStampAsync(accountId, ct);
        _stamps[accountId] = (stamp, now);
        return stamp;
    }
}
