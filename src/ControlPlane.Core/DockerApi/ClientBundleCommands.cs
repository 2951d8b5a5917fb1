using ControlPlane.Core.Changes;

namespace ControlPlane.Core.DockerApi;

/// <summary>A new bundle: its record and the files handed to the caller once (the key among them is never stored).</summary>
public sealed record CreatedBundle(ClientBundleSummary Bundle, string CaPem, string CertificatePem, string KeyPem);

/// <summary>
/// Client bundles for the Docker API endpoint (DESIGN §10): each user creates, lists and revokes their own, through
/// the gate like API tokens. A bundle acts with its owner's current grants; it gives nothing of its own.
/// </summary>
public sealed class ClientBundleCommands(IClientBundleStore bundles, IClientCertificateIssuer issuer, ChangeGate gate, TimeProvider time)
{
    public const string LocalAccountsOnly = "Client bundles belong to local accounts; sign in with a local account to create one.";

    public const int MaxDays = 365;

    /// <summary>The most active bundles one user may hold.</summary>
    public const int MaxActivePerUser = 20;

    public async Task<ChangeResult<IReadOnlyList<ClientBundleSummary>>> ListAsync(ChangeCaller caller, CancellationToken ct = default) =>
        caller.AccountId is { } id
            ? new(null, "", await bundles.ListAsync(id, ct))
            : ChangeResult<IReadOnlyList<ClientBundleSummary>>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);

    public async Task<ChangeResult<CreatedBundle>> CreateAsync(ChangeCaller caller, string? name, int? expiresInDays, CancellationToken ct = default)
    {
        if (caller.AccountId is not { } id)
        {
            return ChangeResult<CreatedBundle>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);
        }
        var trimmed = name?.Trim() ?? "";
        return await gate.PassAsync(caller, ChangeIntent.OnOwnAccount("clientbundles.create", $"client bundle {trimmed}"), async (_, token) =>
        {
            if (caller.ByApiToken)
            {
                // As with tokens: a leaked token must not mint credentials that outlive its revocation.
                throw new ChangeRejectedException(ChangeFailure.Forbidden, "Client bundles are created by a signed-in user, not with an API token.");
            }
            if (trimmed.Length is 0 or > 64 || !trimmed.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, "A bundle needs a name of 1 to 64 letters, digits, '-', '_' or '.', e.g. 'laptop'.");
            }
            var days = expiresInDays ?? 90;
            if (days is < 1 or > MaxDays)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, $"expiresInDays must be between 1 and {MaxDays}.");
            }
            var now = time.GetUtcNow();
            if ((await bundles.ListAsync(id, token)).Count(b => b.RevokedAt is null && b.ExpiresAt > now) >= MaxActivePerUser)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, $"You have {MaxActivePerUser} active client bundles, the most a user may hold; revoke one you no longer use first.");
            }
            var expires = now.AddDays(days);
            var issued = issuer.Issue(caller.Actor, trimmed, now.AddMinutes(-5), expires);
            var bundle = await bundles.AddAsync(id, caller.Actor, trimmed, issued.Serial, now, expires, token);
            return new Acted<CreatedBundle>(new CreatedBundle(bundle, issuer.CaPem, issued.CertificatePem, issued.KeyPem),
                "The client bundle is created.", $"serial {issued.Serial}, expires {expires:yyyy-MM-dd}");
        }, ct);
    }

    /// <summary>Revokes one of the caller's own bundles: its next request is refused, on an open connection too.</summary>
    public async Task<ChangeResult<bool>> RevokeAsync(ChangeCaller caller, long bundleId, CancellationToken ct = default)
    {
        if (caller.AccountId is not { } id)
        {
            return ChangeResult<bool>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);
        }
        return await gate.PassAsync(caller, ChangeIntent.OnOwnAccount("clientbundles.revoke", $"client bundle {bundleId}"), async (_, token) =>
            await bundles.RevokeAsync(id, bundleId, token)
                ? new Acted<bool>(true, "The client bundle is revoked.")
                : throw new ChangeRejectedException(ChangeFailure.NotFound, $"You have no client bundle {bundleId}."), ct);
    }
}
