using System.Security.Claims;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Web.Changes;
using ControlPlane.Core.Security;
using ControlPlane.Data.Audit;
using ControlPlane.Data.Entities;
using ControlPlane.Data.Identity;
using ControlPlane.Web.Authentication;

namespace ControlPlane.Web.Authorization;

/// <summary>A user as administrators see them: the account and the grants naming it.</summary>
public sealed record UserSummary(long Id, string UserName, DateTimeOffset CreatedAt, DateTimeOffset? LockedUntil, IReadOnlyList<Grant> Grants);

/// <summary>
/// Users, grants, tokens, passwords and the audit log, for the API and the pages alike: every action
/// checks the caller's permission, validates, acts and writes its audit record here, so no entry point
/// can skip a step.
/// </summary>
public sealed class IdentityAdministration(IServiceScopeFactory scopes, AccessControl access, ChangeGate gate, AuditLog auditLog)
{
    /// <summary>Who is acting and from where, for checks and audit records.</summary>
    public sealed record Caller(ClaimsPrincipal User, string? ClientAddress);

    public Task<ChangeResult<IReadOnlyList<UserSummary>>> ListUsersAsync(Caller caller, CancellationToken ct = default) =>
        ReadAsync(caller, Permissions.Users.Manage, "Only administrators of all clusters manage users.", async (scope, token) =>
        {
            var grants = await scope.GetRequiredService<Grants>().ListAsync(token);
            var users = await scope.GetRequiredService<Accounts>().ListAsync(token);
            return (IReadOnlyList<UserSummary>)users.Select(u => new UserSummary(u.Id, u.UserName, u.CreatedAt, u.LockedUntil,
                grants.Where(g => g.Subject == u.UserName).ToList())).ToList();
        }, ct);

    public async Task<ChangeResult<UserSummary>> CreateUserAsync(Caller caller, string? userName, string? password, Role? role, CancellationToken ct = default)
    {
        var name = userName?.Trim() ?? "";
        return await PassAsync(caller, new ChangeIntent(Permissions.Users.Manage, AccessTarget.Global, "users.create", $"user {name}"), async (scope, token) =>
        {
            var user = await Validated(() => scope.GetRequiredService<Accounts>().CreateAsync(name, password ?? "", token));
            List<Grant> given = role is { } r
                ? [await scope.GetRequiredService<Grants>().AddAsync(user.UserName, r, AccessScope.Everywhere, caller.User.Actor(), token)]
                : [];
            return new Acted<UserSummary>(new UserSummary(user.Id, user.UserName, user.CreatedAt, null, given), "The user is created.",
                role is { } granted ? $"with {granted} on all clusters" : "without grants");
        }, ct);
    }

    public Task<ChangeResult<IReadOnlyList<Grant>>> ListGrantsAsync(Caller caller, CancellationToken ct = default) =>
        ReadAsync(caller, Permissions.Grants.Manage, "Only administrators of all clusters manage grants.",
            async (scope, token) => await scope.GetRequiredService<Grants>().ListAsync(token), ct);

    public async Task<ChangeResult<Grant>> AddGrantAsync(Caller caller, string? subject, Role? role, string? cluster, string? stack, CancellationToken ct = default)
    {
        var who = subject?.Trim() ?? "";
        return await PassAsync(caller, new ChangeIntent(Permissions.Grants.Manage, AccessTarget.Global, "grants.create", who), async (scope, token) =>
        {
            var accessScope = new AccessScope(Blank(cluster), Blank(stack));
            var problem = role is null ? "A role is required: Viewer, Operator, SecretsAdmin or Admin."
                : who.Length == 0 ? "A subject is required: a user name, or group:<Entra group object id>."
                : !who.StartsWith("group:", StringComparison.Ordinal) && await scope.GetRequiredService<Accounts>().FindAsync(who, token) is null
                    ? $"There is no user named '{who}'."
                : !accessScope.IsValid ? "A stack scope needs its cluster: choose the cluster as well as the stack."
                : null;
            if (problem is not null)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, problem);
            }
            var grant = await scope.GetRequiredService<Grants>().AddAsync(who, role!.Value, accessScope, caller.User.Actor(), token);
            return new Acted<Grant>(grant, "The grant is added.", $"{grant.Role} on {grant.Scope}");
        }, ct);
    }

    public async Task<ChangeResult<Grant>> RemoveGrantAsync(Caller caller, long id, CancellationToken ct = default)
    {
        // The audit log names a grant by its subject, as when it was added.
        string subject;
        await using (var lookup = scopes.CreateAsyncScope())
        {
            subject = (await lookup.ServiceProvider.GetRequiredService<Grants>().ListAsync(ct)).FirstOrDefault(g => g.Id == id)?.Subject ?? $"grant {id}";
        }
        return await PassAsync(caller, new ChangeIntent(Permissions.Grants.Manage, AccessTarget.Global, "grants.delete", subject), async (scope, token) =>
        {
            var grants = scope.GetRequiredService<Grants>();
            var all = await grants.ListAsync(token);
            if (all.FirstOrDefault(g => g.Id == id) is { Role: Role.Admin, Scope.Cluster: null } last
                && all.Count(g => g.Role == Role.Admin && g.Scope == AccessScope.Everywhere && !g.Subject.StartsWith("group:", StringComparison.Ordinal)) == 1
                && !last.Subject.StartsWith("group:", StringComparison.Ordinal))
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid,
                    "This is the last Admin grant on all clusters for a user; removing it would lock everyone out of administration. Grant Admin to someone else first.");
            }
            var removed = await grants.RemoveAsync(id, token) ?? throw new ChangeRejectedException(ChangeFailure.NotFound, $"There is no grant {id}.");
            return new Acted<Grant>(removed, "The grant is removed.", $"{removed.Role} on {removed.Scope}");
        }, ct);
    }

    public async Task<ChangeResult<IReadOnlyList<ApiToken>>> ListTokensAsync(Caller caller, CancellationToken ct = default)
    {
        if (LocalUserId(caller.User) is not { } id)
        {
            return ChangeResult<IReadOnlyList<ApiToken>>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);
        }
        await using var scope = scopes.CreateAsyncScope();
        return new(null, "", await scope.ServiceProvider.GetRequiredService<Tokens>().ListAsync(id, ct));
    }

    /// <summary>Creates a token for the caller themselves; the result is the only place its value ever appears.</summary>
    public async Task<ChangeResult<CreatedToken>> CreateTokenAsync(Caller caller, string? name, int? expiresInDays, CancellationToken ct = default)
    {
        if (LocalUserId(caller.User) is not { } id)
        {
            return ChangeResult<CreatedToken>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);
        }
        return await PassAsync(caller, ChangeIntent.OnOwnAccount("tokens.create", $"token {name?.Trim()}"), async (scope, token) =>
        {
            var created = await Validated(() => scope.GetRequiredService<Tokens>().CreateAsync(id, name ?? "", expiresInDays ?? 90, token));
            return new Acted<CreatedToken>(created, "The token is created.", $"expires {created.ExpiresAt:yyyy-MM-dd}");
        }, ct);
    }

    public async Task<ChangeResult<bool>> RevokeTokenAsync(Caller caller, long tokenId, CancellationToken ct = default)
    {
        if (LocalUserId(caller.User) is not { } id)
        {
            return ChangeResult<bool>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);
        }
        return await PassAsync(caller, ChangeIntent.OnOwnAccount("tokens.revoke", $"token {tokenId}"), async (scope, token) =>
            await scope.GetRequiredService<Tokens>().RevokeAsync(id, tokenId, token)
                ? new Acted<bool>(true, "The token is revoked.")
                : throw new ChangeRejectedException(ChangeFailure.NotFound, $"You have no token {tokenId}."), ct);
    }

    public async Task<ChangeResult<bool>> ChangePasswordAsync(Caller caller, string? currentPassword, string? newPassword, CancellationToken ct = default)
    {
        if (LocalUserId(caller.User) is null)
        {
            return ChangeResult<bool>.Refused(ChangeFailure.Invalid, LocalAccountsOnly);
        }
        return await PassAsync(caller, ChangeIntent.OnOwnAccount("account.password", $"user {caller.User.UserName()}"), async (scope, token) =>
            await scope.GetRequiredService<Accounts>().ChangePasswordAsync(caller.User.UserName(), currentPassword ?? "", newPassword ?? "", token) is { } problem
                ? throw new ChangeRejectedException(ChangeFailure.Invalid, problem)
                : new Acted<bool>(true, "Your password is changed."), ct);
    }

    public Task<ChangeResult<IReadOnlyList<AuditRecord>>> QueryAuditAsync(Caller caller, AuditQuery query, CancellationToken ct = default) =>
        ReadAsync(caller, Permissions.Audit.Read, "Only administrators of all clusters read the audit log.", (_, token) => auditLog.QueryAsync(query, token), ct);

    /// <summary>Null when the chain is intact, else the id of the first record that does not match.</summary>
    public Task<ChangeResult<long?>> VerifyAuditAsync(Caller caller, CancellationToken ct = default) =>
        ReadAsync(caller, Permissions.Audit.Read, "Only administrators of all clusters read the audit log.", (_, token) => auditLog.FirstBrokenAsync(token), ct);

    public const string LocalAccountsOnly = "API tokens and passwords here belong to local accounts; Entra ID users sign in with Entra's own tokens.";

    /// <summary>The local account id of the caller; Entra users have none.</summary>
    public static long? LocalUserId(ClaimsPrincipal user) =>
        user.FindFirstValue("tid") is null && long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    /// <summary>An administrative change through the gate, with a scope of the identity store for the act.</summary>
    private async Task<ChangeResult<T>> PassAsync<T>(Caller caller, ChangeIntent intent, Func<IServiceProvider, CancellationToken, Task<Acted<T>>> act, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await gate.PassAsync(await access.CallerAsync(caller.User, caller.ClientAddress, ct), intent, (_, token) => act(scope.ServiceProvider, token), ct);
    }

    /// <summary>A read that changes nothing: the gate's permission check (a refusal is audited), then the read.</summary>
    private async Task<ChangeResult<T>> ReadAsync<T>(Caller caller, string permission, string refusal, Func<IServiceProvider, CancellationToken, Task<T>> read, CancellationToken ct)
    {
        var intent = new ChangeIntent(permission, AccessTarget.Global, permission, "");
        if (await gate.RefuseAsync(await access.CallerAsync(caller.User, caller.ClientAddress, ct), intent) is not null)
        {
            return ChangeResult<T>.Refused(ChangeFailure.Forbidden, refusal);
        }
        await using var scope = scopes.CreateAsyncScope();
        return new(null, "", await read(scope.ServiceProvider, ct));
    }

    /// <summary>The identity store says what is wrong with input by throwing <see cref="ArgumentException"/>.</summary>
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
