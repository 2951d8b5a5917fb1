using System.Security.Claims;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Security;
using ControlPlane.Data.Audit;
using ControlPlane.Data.Identity;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Api;

/// <summary>Users, grants, API tokens and the audit log (issue 4's contract additions to DESIGN §6).</summary>
public static class IdentityEndpoints
{
    public sealed record CreateUserRequest(string? Username, string? Password, Role? Role);

    public sealed record UserResponse(long Id, string Username, DateTimeOffset CreatedAt, DateTimeOffset? LockedUntil, IReadOnlyList<GrantResponse> Grants);

    public sealed record ScopeRequest(string? Cluster, string? Stack);

    public sealed record CreateGrantRequest(string? Subject, Role? Role, ScopeRequest? Scope);

    public sealed record GrantResponse(long Id, string Subject, Role Role, ScopeRequest Scope, string Description);

    public sealed record CreateTokenRequest(string? Name, int? ExpiresInDays);

    public sealed record TokenResponse(long Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

    public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

    public sealed record AuditResponse(long Id, DateTimeOffset Time, string Actor, string Action, string Target, AuditResult Result,
        string? ClientAddress, string? Detail, string? Diff, string PreviousHash, string Hash);

    public static RouteGroupBuilder MapIdentityEndpoints(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users").RequirePermission(Permissions.Users.Manage, RouteTargets.Global);
        users.MapGet("/", async (Accounts accounts, Grants grants, CancellationToken ct) =>
        {
            var all = await grants.ListAsync(ct);
            return (await accounts.ListAsync(ct)).Select(u => new UserResponse(u.Id, u.UserName, u.CreatedAt, u.LockedUntil,
                all.Where(g => g.Subject == u.UserName).Select(ToResponse).ToList()));
        });
        users.MapPost("/", async (CreateUserRequest request, HttpContext http, Accounts accounts, Grants grants, CancellationToken ct) =>
        {
            var name = request.Username?.Trim() ?? "";
            try
            {
                var user = await accounts.CreateAsync(name, request.Password ?? "", ct);
                var given = request.Role is { } role ? [ToResponse(await grants.AddAsync(user.UserName, role, AccessScope.Everywhere, http.User.Actor(), ct))] : new List<GrantResponse>();
                await AuditAsync(http, "users.create", $"user {user.UserName}", AuditResult.Succeeded, request.Role is { } r ? $"with {r} on all clusters" : "without grants");
                return Results.Created($"/api/users/{user.Id}", new UserResponse(user.Id, user.UserName, user.CreatedAt, null, given));
            }
            catch (ArgumentException ex)
            {
                await AuditAsync(http, "users.create", $"user {name}", AuditResult.Failed, ex.Message);
                return BadRequest("The user was not created", ex.Message);
            }
        });

        var grantsApi = api.MapGroup("/grants").WithTags("Grants").RequirePermission(Permissions.Grants.Manage, RouteTargets.Global);
        grantsApi.MapGet("/", async (Grants grants, CancellationToken ct) => (await grants.ListAsync(ct)).Select(ToResponse));
        grantsApi.MapPost("/", async (CreateGrantRequest request, HttpContext http, Grants grants, Data.Identity.Accounts accounts, CancellationToken ct) =>
        {
            var scope = new AccessScope(Blank(request.Scope?.Cluster), Blank(request.Scope?.Stack));
            var subject = request.Subject?.Trim() ?? "";
            var problem = request.Role is null ? "role is required: Viewer, Operator, SecretsAdmin or Admin."
                : subject.Length == 0 ? "subject is required: a user name, or group:<Entra group object id>."
                : !subject.StartsWith("group:", StringComparison.Ordinal) && await accounts.FindAsync(subject, ct) is null ? $"There is no user named '{subject}'."
                : !scope.IsValid ? "A stack scope needs its cluster: give scope.cluster as well as scope.stack."
                : null;
            if (problem is not null)
            {
                await AuditAsync(http, "grants.create", subject, AuditResult.Failed, problem);
                return BadRequest("The grant was not created", problem);
            }
            var grant = await grants.AddAsync(subject, request.Role!.Value, scope, http.User.Actor(), ct);
            await AuditAsync(http, "grants.create", subject, AuditResult.Succeeded, $"{grant.Role} on {grant.Scope}");
            return Results.Created($"/api/grants/{grant.Id}", ToResponse(grant));
        });
        grantsApi.MapDelete("/{id:long}", async (long id, HttpContext http, Grants grants, CancellationToken ct) =>
        {
            if (await grants.RemoveAsync(id, ct) is not { } removed)
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Grant not found", detail: $"There is no grant {id}.");
            }
            await AuditAsync(http, "grants.delete", removed.Subject, AuditResult.Succeeded, $"{removed.Role} on {removed.Scope}");
            return Results.NoContent();
        });

        // Tokens and passwords belong to the caller: any signed-in user manages their own.
        var tokens = api.MapGroup("/tokens").WithTags("Tokens");
        tokens.MapGet("/", async (HttpContext http, Tokens store, CancellationToken ct) =>
            UserId(http.User) is { } id ? Results.Ok((await store.ListAsync(id, ct)).Select(ToResponse)) : LocalAccountsOnly());
        tokens.MapPost("/", async (CreateTokenRequest request, HttpContext http, Tokens store, CancellationToken ct) =>
        {
            if (UserId(http.User) is not { } id)
            {
                return LocalAccountsOnly();
            }
            try
            {
                var created = await store.CreateAsync(id, request.Name ?? "", request.ExpiresInDays ?? 90, ct);
                await AuditAsync(http, "tokens.create", $"token {request.Name}", AuditResult.Succeeded, $"expires {created.ExpiresAt:yyyy-MM-dd}");
                // The only answer that ever holds the token.
                return Results.Created($"/api/tokens/{created.Id}", new { id = created.Id, token = created.Token, expiresAt = created.ExpiresAt });
            }
            catch (ArgumentException ex)
            {
                return BadRequest("The token was not created", ex.Message);
            }
        });
        tokens.MapDelete("/{id:long}", async (long id, HttpContext http, Tokens store, CancellationToken ct) =>
        {
            if (UserId(http.User) is not { } user)
            {
                return LocalAccountsOnly();
            }
            if (!await store.RevokeAsync(user, id, ct))
            {
                return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Token not found", detail: $"You have no token {id}.");
            }
            await AuditAsync(http, "tokens.revoke", $"token {id}", AuditResult.Succeeded, null);
            return Results.NoContent();
        });

        api.MapPost("/account/password", async (ChangePasswordRequest request, HttpContext http, Data.Identity.Accounts accounts, CancellationToken ct) =>
        {
            if (UserId(http.User) is null)
            {
                return LocalAccountsOnly();
            }
            var problem = await accounts.ChangePasswordAsync(http.User.UserName(), request.CurrentPassword ?? "", request.NewPassword ?? "", ct);
            await AuditAsync(http, "account.password", $"user {http.User.UserName()}", problem is null ? AuditResult.Succeeded : AuditResult.Failed, problem);
            return problem is null ? Results.NoContent() : BadRequest("The password was not changed", problem);
        }).WithTags("Account");

        var audit = api.MapGroup("/audit").WithTags("Audit").RequirePermission(Permissions.Audit.Read, RouteTargets.Global);
        audit.MapGet("/", async (DateTimeOffset? since, string? actor, string? action, string? cluster, int? limit, AuditLog log, CancellationToken ct) =>
            (await log.QueryAsync(new AuditQuery(since, actor, action, cluster, limit ?? 1000), ct)).Select(ToResponse));
        audit.MapGet("/verify", async (AuditLog log, CancellationToken ct) =>
        {
            var broken = await log.FirstBrokenAsync(ct);
            return new { ok = broken is null, firstBadId = broken };
        });

        return api;
    }

    /// <summary>Records a change (or a failed attempt at one) made through the API, as the caller.</summary>
    private static Task AuditAsync(HttpContext http, string action, string target, AuditResult result, string? detail) =>
        http.RequestServices.GetRequiredService<IAuditLog>().AppendAsync(new AuditEntry(
            http.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow(), http.User.Actor(), action, target, result,
            http.Connection.RemoteIpAddress?.ToString(), detail), http.RequestAborted);

    /// <summary>The local account id of the caller; Entra users have none (their tokens and passwords live in Entra).</summary>
    private static long? UserId(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) && user.FindFirstValue("tid") is null ? id : null;

    private static IResult LocalAccountsOnly() =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Local accounts only",
            detail: "API tokens and passwords here belong to local accounts; Entra ID users sign in with Entra's own tokens.");

    private static IResult BadRequest(string title, string detail) => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: title, detail: detail);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static GrantResponse ToResponse(Grant grant) =>
        new(grant.Id, grant.Subject, grant.Role, new ScopeRequest(grant.Scope.Cluster, grant.Scope.Stack), $"{grant.Role} on {grant.Scope}");

    private static TokenResponse ToResponse(Data.Entities.ApiToken token) =>
        new(token.Id, token.Name, token.Prefix, token.CreatedAt, token.ExpiresAt, token.RevokedAt, token.LastUsedAt);

    private static AuditResponse ToResponse(AuditRecord record) =>
        new(record.Id, record.Entry.Time, record.Entry.Actor, record.Entry.Action, record.Entry.Target, record.Entry.Result,
            record.Entry.ClientAddress, record.Entry.Detail, record.Entry.Diff, record.PreviousHash, record.Hash);
}
