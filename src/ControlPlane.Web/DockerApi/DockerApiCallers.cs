using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using ControlPlane.Core.Changes;
using ControlPlane.Core.DockerApi;
using ControlPlane.Core.Identity;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Authorization;
using Microsoft.Extensions.Options;

namespace ControlPlane.Web.DockerApi;

/// <summary>
/// Who is behind a Docker API request: a client bundle's certificate (by serial) or an API token, with the holder's
/// grants. Every docker CLI command makes several requests, and reading the bundle, the account and the grants for each
/// cost more than the engine's own answer; so what was read is kept per credential and trusted only while
/// <see cref="AccessChanges"/> has not moved (any grant, account, token or bundle saved by this process, revocations
/// included, makes the next request read again), the bundle or token has not expired, and no longer than
/// <see cref="SessionCheckOptions.StampCacheDuration"/>, the bound within which a change saved by another replica
/// reaches this one (as for sign-in cookies). A credential that is refused is never kept.
/// </summary>
public sealed class DockerApiCallers(
    IClientBundleStore bundles, ITokenStore tokens, AccessControl access, AccessChanges changes, IOptions<SessionCheckOptions> sessions, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Entry> _known = new(StringComparer.Ordinal);

    /// <summary>The caller behind a bundle certificate's serial; null when the bundle is revoked, expired or its user gone.</summary>
    public Task<ChangeCaller?> ByBundleAsync(string serial, string? clientAddress, CancellationToken ct) =>
        CachedAsync("bundle:" + serial, clientAddress, async () =>
        {
            if (await bundles.ActiveAsync(serial, ct) is not { } holder)
            {
                return null;
            }
            var caller = await CallerAsync(holder.UserName, holder.AccountId, [], ct);
            return (caller with { Actor = $"{holder.UserName} (docker cli, bundle {holder.Bundle.Name})" }, holder.Bundle.ExpiresAt);
        });

    /// <summary>The caller behind an API token; null when it is unknown, revoked or expired.</summary>
    public Task<ChangeCaller?> ByTokenAsync(string token, string? clientAddress, CancellationToken ct) =>
        // Kept under the token's hash: the token itself is a password and stays in no table.
        CachedAsync("token:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token))), clientAddress, async () =>
        {
            if (await tokens.AuthenticateAsync(token, ct) is not var (account, record))
            {
                return null;
            }
            var caller = await CallerAsync(account.UserName, account.Id,
                [new Claim(ControlPlaneClaims.TokenName, record.Name), new Claim(ControlPlaneClaims.TokenId, record.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))], ct);
            return (caller with { Actor = $"{account.UserName} (docker cli, token {record.Name})" }, record.ExpiresAt);
        });

    private async Task<ChangeCaller?> CachedAsync(string key, string? clientAddress, Func<Task<(ChangeCaller Caller, DateTimeOffset ExpiresAt)?>> read)
    {
        var now = time.GetUtcNow();
        // Taken before reading: a change saved while the read is under way moves it, and the entry is not trusted.
        var generation = changes.Generation;
        if (_known.TryGetValue(key, out var known) && known.Generation == generation && now < known.ExpiresAt && now - known.ReadAt < sessions.Value.StampCacheDuration)
        {
            return known.Caller with { ClientAddress = clientAddress };
        }
        if (await read() is not var (caller, expiresAt))
        {
            _known.TryRemove(key, out _);
            return null;
        }
        _known[key] = new Entry(caller, generation, now, expiresAt);
        return caller with { ClientAddress = clientAddress };
    }

    private Task<ChangeCaller> CallerAsync(string userName, long accountId, Claim[] extra, CancellationToken ct)
    {
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, userName), new Claim(ClaimTypes.NameIdentifier, accountId.ToString(System.Globalization.CultureInfo.InvariantCulture)), .. extra], "DockerApi"));
        return access.CallerAsync(principal, null, ct);
    }

    private sealed record Entry(ChangeCaller Caller, long Generation, DateTimeOffset ReadAt, DateTimeOffset ExpiresAt);
}
