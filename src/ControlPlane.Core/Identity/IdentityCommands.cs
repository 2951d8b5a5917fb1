using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Security;

namespace ControlPlane.Core.Identity;

/// <summary>
/// What callers ask of identity, for the API and the pages alike: users, grants, their own tokens and password, and
/// reading the audit log. Every change passes the one <see cref="ChangeGate"/> (permission, audit, act, audited
/// result) and every read its permission check, so no entry point can skip a step; the stores behind the ports only
/// keep what they are given.
/// </summary>
public sealed class IdentityCommands(IAccountStore accounts, IGrantStore grants, ITokenStore tokens, IAuditReader auditLog, ChangeGate gate, TimeProvider time)
{
    public const string LocalAccountsOnly = "API tokens and passwords here belong to local accounts; Entra ID users sign in with Entra's own tokens.";

    public const string UsersRefusal = "Only administrators of all clusters manage users.";

    /// <summary>What a grant may name, for messages and the Grants page.</summary>
    public const string SubjectForms = "a user name, group:<Entra group object id>, or entra:<tenant id>/<Entra user object id>";

    public const string GrantsRefusal = "Only administrators of all clusters manage grants.";

    public const string AuditRefusal = "Only administrators of all clusters read the audit log.";

    public const string LastAdminGrant =
        "This is the last Admin grant on all clusters for a user; removing it would lock everyone out of administration. Grant Admin to someone else first.";

    public Task<ChangeResult<IReadOnlyList<UserSummary>>> ListUsersAsync(ChangeCaller caller, CancellationToken ct = default) =>
        ReadAsync(caller, Permissions.Users.Manage, UsersRefusal, async token =>
        {
            var all = await grants.ListAsync(token);
            var users = await accounts.ListAsync(token);
            return (IReadOnlyList<UserSummary>)users.Select(u => UserSummary.Of(u, all.Where(g => g.Subject == u.UserName).ToList())).ToList();
        }, ct);

    public Task<ChangeResult<UserSummary>> CreateUserAsync(ChangeCaller caller, string? userName, string? password, Role? role, CancellationToken ct = default)
    {
        var name = userName?.Trim() ?? "";
        return gate.PassAsync(caller, new ChangeIntent(Permissions.Users.Manage, AccessTarget.Global, "users.create", $"user {name}"), async (_, token) =>
        {
            var user = await Validated(() => accounts.CreateAsync(name, password ?? "", token));
            List<Grant> given = role is { } r ? [await grants.AddAsync(user.UserName, r, AccessScope.Everywhere, caller.Actor, token)] : [];
            return new Acted<UserSummary>(UserSummary.Of(user, given), "The user is created.",
                role is { } granted ? $"with {granted} on all clusters" : "without grants");
        }, ct);
    }

    public Task<ChangeResult<IReadOnlyList<Grant>>> ListGrantsAsync(ChangeCaller caller, CancellationToken ct = default) =>
        ReadAsync(caller, Permissions.Grants.Manage, GrantsRefusal, token => grants.ListAsync(token), ct);

    public Task<ChangeResult<Grant>> AddGrantAsync(ChangeCaller caller, string? subject, Role? role, string? cluster, string? stack, CancellationToken ct = default)
    {
        var who = IdentityRules.CanonicalSubject(subject?.Trim() ?? "");
        return gate.PassAsync(caller, new ChangeIntent(Permissions.Grants.Manage, AccessTarget.Global, "grants.create", who), async (_, token) =>
        {
            var scope = new AccessScope(Blank(cluster), Blank(stack));
            var problem = role is null ? "A role is required: Viewer, Operator, SecretsAdmin or Admin."
                : who.Length == 0 ? $"A subject is required: {SubjectForms}."
                : who.StartsWith(IdentityRules.EntraUserPrefix, StringComparison.OrdinalIgnoreCase) && !IdentityRules.IsEntraUser(who)
                    ? "An Entra user is named entra:<tenant id>/<object id>, both GUIDs."
                : !IdentityRules.IsExternal(who) && await accounts.FindAsync(who, token) is null ? $"There is no user named '{who}'."
                : !scope.IsValid ? "A stack scope needs its cluster: choose the cluster as well as the stack."
                : null;
            if (problem is not null)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, problem);
            }
            var grant = await grants.AddAsync(who, role!.Value, scope, caller.Actor, token);
            return new Acted<Grant>(grant, "The grant is added.", $"{grant.Role} on {grant.Scope}");
        }, ct);
    }

    public async Task<ChangeResult<Grant>> RemoveGrantAsync(ChangeCaller caller, long id, CancellationToken ct = default)
    {
        // The audit log names a grant by its subject, as when it was added.
        var subject = (await grants.ListAsync(ct)).FirstOrDefault(g => g.Id == id)?.Subject ?? $"grant {id}";
        return await gate.PassAsync(caller, new ChangeIntent(Permissions.Grants.Manage, AccessTarget.Global, "grants.delete", subject), async (_, token) =>
        {
            var all = await grants.ListAsync(token);
            if (all.FirstOrDefault(g => g.Id == id) is { } grant && IsUserAdminEverywhere(grant) && all.Count(IsUserAdminEverywhere) == 1)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, LastAdminGrant);
            }
            var removed = await grants.RemoveAsync(id, token) ?? throw new ChangeRejectedException(ChangeFailure.NotFound, $"There is no grant {id}.");
            return new Acted<Grant>(removed, "The grant is removed.", $"{removed.Role} on {removed.Scope}");
        }, ct);
    }

    public async Task<ChangeResult<IReadOnlyList<ApiTokenSummary>>> ListTokensAsync(ChangeCaller caller, CancellationToken ct = default) =>
        caller.AccountId is { } id
            ? new(null, "", await tokens.ListAsync(id, ct))
            : ChangeResult<IReadOnlyList<ApiTokenSummary>>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);

    /// <summary>Creates a token for the caller themselves; the result is the only place its value ever appears.</summary>
    /// <summary>
    /// Ends a local account's lockout at once: the way back in for a locked-out administrator (the console's
    /// <c>unlock-account</c>), and for administrators helping a user.
    /// </summary>
    public async Task<ChangeResult<bool>> UnlockAccountAsync(ChangeCaller caller, string userName, CancellationToken ct = default) =>
        await gate.PassAsync(caller, new ChangeIntent(Permissions.Users.Manage, AccessTarget.Global, "users.unlock", $"user {userName}"), async (_, token) =>
            await accounts.UnlockAsync(userName, token)
                ? new Acted<bool>(true, $"The account '{userName}' is unlocked.")
                : throw new ChangeRejectedException(ChangeFailure.NotFound, $"There is no user named '{userName}'."), ct);

    /// <summary>The most active (unrevoked, unexpired) API tokens one user may hold.</summary>
    public const int MaxTokensPerUser = 20;

    public async Task<ChangeResult<CreatedToken>> CreateTokenAsync(ChangeCaller caller, string? name, int? expiresInDays, CancellationToken ct = default)
    {
        if (caller.AccountId is not { } id)
        {
            return ChangeResult<CreatedToken>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);
        }
        return await gate.PassAsync(caller, ChangeIntent.OnOwnAccount("tokens.create", $"token {name?.Trim()}"), async (_, token) =>
        {
            if (caller.ByApiToken)
            {
                // A leaked token must not be able to outlive its own revocation by minting successors.
                throw new ChangeRejectedException(ChangeFailure.Forbidden, "API tokens are created by a signed-in user, not with another token.");
            }
            var now = time.GetUtcNow();
            if ((await tokens.ListAsync(id, token)).Count(t => t.RevokedAt is null && t.ExpiresAt > now) >= MaxTokensPerUser)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, $"You have {MaxTokensPerUser} active tokens, the most a user may hold; revoke one you no longer use first.");
            }
            var created = await Validated(() => tokens.CreateAsync(id, name ?? "", expiresInDays ?? 90, token));
            return new Acted<CreatedToken>(created, "The token is created.", $"expires {created.ExpiresAt:yyyy-MM-dd}");
        }, ct);
    }

    /// <summary>Revokes one of the caller's own tokens; someone else's token is not found, as if it did not exist.</summary>
    public async Task<ChangeResult<bool>> RevokeTokenAsync(ChangeCaller caller, long tokenId, CancellationToken ct = default)
    {
        if (caller.AccountId is not { } id)
        {
            return ChangeResult<bool>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);
        }
        return await gate.PassAsync(caller, ChangeIntent.OnOwnAccount("tokens.revoke", $"token {tokenId}"), async (_, token) =>
            await tokens.RevokeAsync(id, tokenId, token)
                ? new Acted<bool>(true, "The token is revoked.")
                : throw new ChangeRejectedException(ChangeFailure.NotFound, $"You have no token {tokenId}."), ct);
    }

    public async Task<ChangeResult<bool>> ChangePasswordAsync(ChangeCaller caller, string? currentPassword, string? newPassword, CancellationToken ct = default)
    {
        if (caller.AccountId is not { } id)
        {
            return ChangeResult<bool>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);
        }
        return await gate.PassAsync(caller, ChangeIntent.OnOwnAccount("account.password", $"user {caller.Actor}"), async (_, token) =>
            await accounts.ChangePasswordAsync(id, currentPassword ?? "", newPassword ?? "", token) is { } problem
                ? throw new ChangeRejectedException(ChangeFailure.Invalid, problem)
                : new Acted<bool>(true, PasswordChanged, "every earlier session ended"), ct);
    }

    public const string PasswordChanged = "Your password is changed. Every session signed in with the old one is ended, this one too: sign in again.";

    public const string SignedOutEverywhere = "Every session of yours is ended, this one too. API tokens keep working until you revoke them.";

    /// <summary>
    /// Ends every cookie session of the caller's local account, wherever it was opened (the account's security stamp
    /// is renewed, and sessions carrying the old one are refused from then on). API tokens are revoked one by one.
    /// </summary>
    public async Task<ChangeResult<bool>> SignOutEverywhereAsync(ChangeCaller caller, CancellationToken ct = default)
    {
        if (caller.AccountId is not { } id)
        {
            return ChangeResult<bool>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);
        }
        return await gate.PassAsync(caller, ChangeIntent.OnOwnAccount("account.signout-everywhere", $"user {caller.Actor}"), async (_, token) =>
            await accounts.RenewSecurityStampAsync(id, token)
                ? new Acted<bool>(true, SignedOutEverywhere)
                : throw new ChangeRejectedException(ChangeFailure.NotFound, "Your account no longer exists."), ct);
    }

    public Task<ChangeResult<IReadOnlyList<AuditRecord>>> QueryAuditAsync(ChangeCaller caller, AuditQuery query, CancellationToken ct = default) =>
        ReadAsync(caller, Permissions.Audit.Read, AuditRefusal, token => auditLog.QueryAsync(query, token), ct);

    /// <summary>The first record that does not match, and whether the newest records named by the last checkpoint are gone.</summary>
    public Task<ChangeResult<AuditVerification>> VerifyAuditAsync(ChangeCaller caller, CancellationToken ct = default) =>
        ReadAsync(caller, Permissions.Audit.Read, AuditRefusal, token => auditLog.VerifyAsync(token), ct);

    /// <summary>
    /// Admin on all clusters held by a local user; Entra groups and users do not count, as they may be emptied or
    /// removed outside ControlPlane.
    /// </summary>
    private static bool IsUserAdminEverywhere(Grant grant) =>
        grant.Role == Role.Admin && grant.Scope == AccessScope.Everywhere && !IdentityRules.IsExternal(grant.Subject);

    /// <summary>A read that changes nothing: the gate's permission check (a refusal is audited), then the read.</summary>
    private async Task<ChangeResult<T>> ReadAsync<T>(ChangeCaller caller, string permission, string refusal, Func<CancellationToken, Task<T>> read, CancellationToken ct)
    {
        if (await gate.RefuseAsync(caller, new ChangeIntent(permission, AccessTarget.Global, permission, "")) is not null)
        {
            return ChangeResult<T>.Refused(ChangeFailure.Forbidden, refusal);
        }
        return new(null, "", await read(ct));
    }

    /// <summary>The stores say what is wrong with input by throwing <see cref="ArgumentException"/>.</summary>
    private static async Task<T> Validated<T>(Func<Task<T>> act)
    {
        try
        {
            return await act();
        }
        catch (ArgumentException ex)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, ex.Message);
        }
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
