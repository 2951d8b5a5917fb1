using System.Security.Claims;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Security;
using ControlPlane.Data.Audit;
using ControlPlane.Data.Entities;
using ControlPlane.Data.Identity;
using ControlPlane.Web.Authentication;

namespace ControlPlane.Web.Authorization;

/// <summary>The outcome of an administrative action: a value, or a refusal/problem in words a user understands.</summary>
public sealed record Outcome<T>(T? Value, string? Problem, bool Forbidden = false, bool NotFound = false)
{
    public bool Succeeded => Problem is null;

    public static Outcome<T> Ok(T value) => new(value, null);

    public static Outcome<T> Fail(string problem) => new(default, problem);

    public static Outcome<T> Denied(string problem) => new(default, problem, Forbidden: true);

    public static Outcome<T> Missing(string problem) => new(default, problem, NotFound: true);
}

/// <summary>A user as administrators see them: the account and the grants naming it.</summary>
public sealed record UserSummary(long Id, string UserName, DateTimeOffset CreatedAt, DateTimeOffset? LockedUntil, IReadOnlyList<Grant> Grants);

/// <summary>
/// Users, grants, tokens, passwords and the audit log, for the API and the pages alike: every action
/// checks the caller's permission, validates, acts and writes its audit record here, so no entry point
/// can skip a step.
/// </summary>
public sealed class IdentityAdministration(IServiceScopeFactory scopes, AccessControl access, IAuditLog audit, AuditLog auditLog, TimeProvider time)
{
    /// <summary>Who is acting and from where, for checks and audit records.</summary>
    public sealed record Caller(ClaimsPrincipal User, string? ClientAddress);

    public async Task<Outcome<IReadOnlyList<UserSummary>>> ListUsersAsync(Caller caller, CancellationToken ct = default)
    {
        if (!await access.DemandAsync(caller.User, Permissions.Users.Manage, AccessTarget.Global, caller.ClientAddress, ct))
        {
            return Outcome<IReadOnlyList<UserSummary>>.Denied("Only administrators of all clusters manage users.");
        }
        await using var scope = scopes.CreateAsyncScope();
        var grants = await scope.ServiceProvider.GetRequiredService<Grants>().ListAsync(ct);
        var users = await scope.ServiceProvider.GetRequiredService<Accounts>().ListAsync(ct);
        return Outcome<IReadOnlyList<UserSummary>>.Ok(users.Select(u => new UserSummary(u.Id, u.UserName, u.CreatedAt, u.LockedUntil,
            grants.Where(g => g.Subject == u.UserName).ToList())).ToList());
    }

    public async Task<Outcome<UserSummary>> CreateUserAsync(Caller caller, string? userName, string? password, Role? role, CancellationToken ct = default)
    {
        var name = userName?.Trim() ?? "";
        if (!await access.DemandAsync(caller.User, Permissions.Users.Manage, AccessTarget.Global, caller.ClientAddress, ct))
        {
            return Outcome<UserSummary>.Denied("Only administrators of all clusters create users.");
        }
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            var user = await scope.ServiceProvider.GetRequiredService<Accounts>().CreateAsync(name, password ?? "", ct);
            List<Grant> given = role is { } r
                ? [await scope.ServiceProvider.GetRequiredService<Grants>().AddAsync(user.UserName, r, AccessScope.Everywhere, caller.User.Actor(), ct)]
                : [];
            await AuditAsync(caller, "users.create", $"user {user.UserName}", AuditResult.Succeeded, role is { } granted ? $"with {granted} on all clusters" : "without grants", ct);
            return Outcome<UserSummary>.Ok(new UserSummary(user.Id, user.UserName, user.CreatedAt, null, given));
        }
        catch (ArgumentException ex)
        {
            await AuditAsync(caller, "users.create", $"user {name}", AuditResult.Failed, ex.Message, ct);
            return Outcome<UserSummary>.Fail(ex.Message);
        }
    }

    public async Task<Outcome<IReadOnlyList<Grant>>> ListGrantsAsync(Caller caller, CancellationToken ct = default)
    {
        if (!await access.DemandAsync(caller.User, Permissions.Grants.Manage, AccessTarget.Global, caller.ClientAddress, ct))
        {
            return Outcome<IReadOnlyList<Grant>>.Denied("Only administrators of all clusters manage grants.");
        }
        await using var scope = scopes.CreateAsyncScope();
        return Outcome<IReadOnlyList<Grant>>.Ok(await scope.ServiceProvider.GetRequiredService<Grants>().ListAsync(ct));
    }

    public async Task<Outcome<Grant>> AddGrantAsync(Caller caller, string? subject, Role? role, string? cluster, string? stack, CancellationToken ct = default)
    {
        var who = subject?.Trim() ?? "";
        if (!await access.DemandAsync(caller.User, Permissions.Grants.Manage, AccessTarget.Global, caller.ClientAddress, ct))
        {
            return Outcome<Grant>.Denied("Only administrators of all clusters manage grants.");
        }
        await using var scope = scopes.CreateAsyncScope();
        var accessScope = new AccessScope(Blank(cluster), Blank(stack));
        var problem = role is null ? "A role is required: Viewer, Operator, SecretsAdmin or Admin."
            : who.Length == 0 ? "A subject is required: a user name, or group:<Entra group object id>."
            : !who.StartsWith("group:", StringComparison.Ordinal) && await scope.ServiceProvider.GetRequiredService<Accounts>().FindAsync(who, ct) is null
                ? $"There is no user named '{who}'."
            : !accessScope.IsValid ? "A stack scope needs its cluster: choose the cluster as well as the stack."
            : null;
        if (problem is not null)
        {
            await AuditAsync(caller, "grants.create", who, AuditResult.Failed, problem, ct);
            return Outcome<Grant>.Fail(problem);
        }
        var grant = await scope.ServiceProvider.GetRequiredService<Grants>().AddAsync(who, role!.Value, accessScope, caller.User.Actor(), ct);
        await AuditAsync(caller, "grants.create", who, AuditResult.Succeeded, $"{grant.Role} on {grant.Scope}", ct);
        return Outcome<Grant>.Ok(grant);
    }

    public async Task<Outcome<Grant>> RemoveGrantAsync(Caller caller, long id, CancellationToken ct = default)
    {
        if (!await access.DemandAsync(caller.User, Permissions.Grants.Manage, AccessTarget.Global, caller.ClientAddress, ct))
        {
            return Outcome<Grant>.Denied("Only administrators of all clusters manage grants.");
        }
        await using var scope = scopes.CreateAsyncScope();
        var grants = scope.ServiceProvider.GetRequiredService<Grants>();
        var all = await grants.ListAsync(ct);
        if (all.FirstOrDefault(g => g.Id == id) is { Role: Role.Admin, Scope.Cluster: null } last
            && all.Count(g => g.Role == Role.Admin && g.Scope == AccessScope.Everywhere && !g.Subject.StartsWith("group:", StringComparison.Ordinal)) == 1
            && !last.Subject.StartsWith("group:", StringComparison.Ordinal))
        {
            const string problem = "This is the last Admin grant on all clusters for a user; removing it would lock everyone out of administration. Grant Admin to someone else first.";
            await AuditAsync(caller, "grants.delete", last.Subject, AuditResult.Failed, problem, ct);
            return Outcome<Grant>.Fail(problem);
        }
        if (await grants.RemoveAsync(id, ct) is not { } removed)
        {
            return Outcome<Grant>.Missing($"There is no grant {id}.");
        }
        await AuditAsync(caller, "grants.delete", removed.Subject, AuditResult.Succeeded, $"{removed.Role} on {removed.Scope}", ct);
        return Outcome<Grant>.Ok(removed);
    }

    public async Task<Outcome<IReadOnlyList<ApiToken>>> ListTokensAsync(Caller caller, CancellationToken ct = default)
    {
        if (LocalUserId(caller.User) is not { } id)
        {
            return Outcome<IReadOnlyList<ApiToken>>.Fail(LocalAccountsOnly);
        }
        await using var scope = scopes.CreateAsyncScope();
        return Outcome<IReadOnlyList<ApiToken>>.Ok(await scope.ServiceProvider.GetRequiredService<Tokens>().ListAsync(id, ct));
    }

    /// <summary>Creates a token for the caller themselves; the result is the only place its value ever appears.</summary>
    public async Task<Outcome<CreatedToken>> CreateTokenAsync(Caller caller, string? name, int? expiresInDays, CancellationToken ct = default)
    {
        if (LocalUserId(caller.User) is not { } id)
        {
            return Outcome<CreatedToken>.Fail(LocalAccountsOnly);
        }
        await using var scope = scopes.CreateAsyncScope();
        try
        {
            var created = await scope.ServiceProvider.GetRequiredService<Tokens>().CreateAsync(id, name ?? "", expiresInDays ?? 90, ct);
            await AuditAsync(caller, "tokens.create", $"token {name?.Trim()}", AuditResult.Succeeded, $"expires {created.ExpiresAt:yyyy-MM-dd}", ct);
            return Outcome<CreatedToken>.Ok(created);
        }
        catch (ArgumentException ex)
        {
            return Outcome<CreatedToken>.Fail(ex.Message);
        }
    }

    public async Task<Outcome<bool>> RevokeTokenAsync(Caller caller, long tokenId, CancellationToken ct = default)
    {
        if (LocalUserId(caller.User) is not { } id)
        {
            return Outcome<bool>.Fail(LocalAccountsOnly);
        }
        await using var scope = scopes.CreateAsyncScope();
        if (!await scope.ServiceProvider.GetRequiredService<Tokens>().RevokeAsync(id, tokenId, ct))
        {
            return Outcome<bool>.Missing($"You have no token {tokenId}.");
        }
        await AuditAsync(caller, "tokens.revoke", $"token {tokenId}", AuditResult.Succeeded, null, ct);
        return Outcome<bool>.Ok(true);
    }

    public async Task<Outcome<bool>> ChangePasswordAsync(Caller caller, string? currentPassword, string? newPassword, CancellationToken ct = default)
    {
        if (LocalUserId(caller.User) is null)
        {
            return Outcome<bool>.Fail(LocalAccountsOnly);
        }
        await using var scope = scopes.CreateAsyncScope();
        var problem = await scope.ServiceProvider.GetRequiredService<Accounts>().ChangePasswordAsync(caller.User.UserName(), currentPassword ?? "", newPassword ?? "", ct);
        await AuditAsync(caller, "account.password", $"user {caller.User.UserName()}", problem is null ? AuditResult.Succeeded : AuditResult.Failed, problem, ct);
        return problem is null ? Outcome<bool>.Ok(true) : Outcome<bool>.Fail(problem);
    }

    public async Task<Outcome<IReadOnlyList<AuditRecord>>> QueryAuditAsync(Caller caller, AuditQuery query, CancellationToken ct = default) =>
        await access.DemandAsync(caller.User, Permissions.Audit.Read, AccessTarget.Global, caller.ClientAddress, ct)
            ? Outcome<IReadOnlyList<AuditRecord>>.Ok(await auditLog.QueryAsync(query, ct))
            : Outcome<IReadOnlyList<AuditRecord>>.Denied("Only administrators of all clusters read the audit log.");

    /// <summary>Null when the chain is intact, else the id of the first record that does not match.</summary>
    public async Task<Outcome<long?>> VerifyAuditAsync(Caller caller, CancellationToken ct = default) =>
        await access.DemandAsync(caller.User, Permissions.Audit.Read, AccessTarget.Global, caller.ClientAddress, ct)
            ? Outcome<long?>.Ok(await auditLog.FirstBrokenAsync(ct))
            : Outcome<long?>.Denied("Only administrators of all clusters read the audit log.");

    public const string LocalAccountsOnly = "API tokens and passwords here belong to local accounts; Entra ID users sign in with Entra's own tokens.";

    /// <summary>The local account id of the caller; Entra users have none.</summary>
    public static long? LocalUserId(ClaimsPrincipal user) =>
        user.FindFirstValue("tid") is null && long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    private Task AuditAsync(Caller caller, string action, string target, AuditResult result, string? detail, CancellationToken ct) =>
        audit.AppendAsync(new AuditEntry(time.GetUtcNow(), caller.User.Actor(), action, target, result, caller.ClientAddress, detail), ct);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
