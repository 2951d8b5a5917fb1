using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Identity;
using ControlPlane.Core.Security;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Authorization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace ControlPlane.Web.Api;

/// <summary>
/// Users, grants, API tokens and the audit log over HTTP (issue 4's additions to DESIGN §6). The work,
/// checks and audit records are <see cref="IdentityCommands"/>'s; this maps them to HTTP.
/// </summary>
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

    /// <summary>What checking the audit log's hash chain and signed checkpoint found; <see cref="Problem"/> says what is wrong when not ok.</summary>
    public sealed record AuditVerificationResponse(bool Ok, long? FirstBadId, bool Truncated, AuditCheckpointResponse? Checkpoint, string? Problem);

    public sealed record AuditCheckpointResponse(long Id, string Hash, DateTimeOffset Time, long KeyedFrom);

    public static RouteGroupBuilder MapIdentityEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/users", async (HttpContext http, IdentityCommands commands) =>
            Answer(await commands.ListUsersAsync(await CallerAsync(http), http.RequestAborted), users => Results.Ok(users.Select(ToResponse)))).WithTags("Users")
            .WithName("ListUsers").WithSummary("List local users with their grants").Produces<IEnumerable<UserResponse>>().ProducesChangeProblems();
        api.MapPost("/users", async (CreateUserRequest request, HttpContext http, IdentityCommands commands) =>
            Answer(await commands.CreateUserAsync(await CallerAsync(http), request.Username, request.Password, request.Role, http.RequestAborted),
                user => Results.Created($"/api/users/{user.Id}", ToResponse(user)), "The user was not created")).WithTags("Users")
            .WithName("CreateUser").WithSummary("Create a local user, optionally with a role on all clusters")
            .Produces<UserResponse>(StatusCodes.Status201Created).ProducesChangeProblems()
            .WithRequestExample(new CreateUserRequest("deploy-bot", "a long random password", Role.Operator));

        api.MapGet("/grants", async (HttpContext http, IdentityCommands commands) =>
            Answer(await commands.ListGrantsAsync(await CallerAsync(http), http.RequestAborted), grants => Results.Ok(grants.Select(ToResponse)))).WithTags("Grants")
            .WithName("ListGrants").WithSummary("List every grant").Produces<IEnumerable<GrantResponse>>().ProducesChangeProblems();
        api.MapPost("/grants", async (CreateGrantRequest request, HttpContext http, IdentityCommands commands) =>
            Answer(await commands.AddGrantAsync(await CallerAsync(http), request.Subject, request.Role, request.Scope?.Cluster, request.Scope?.Stack, http.RequestAborted),
                grant => Results.Created($"/api/grants/{grant.Id}", ToResponse(grant)), "The grant was not created")).WithTags("Grants")
            .WithName("CreateGrant").WithSummary("Give a user or group a role on a cluster or a stack")
            .Produces<GrantResponse>(StatusCodes.Status201Created).ProducesChangeProblems()
            .WithRequestExample(new CreateGrantRequest("deploy-bot", Role.Operator, new ScopeRequest("prod", "shop")));
        api.MapDelete("/grants/{id:long}", async (long id, HttpContext http, IdentityCommands commands) =>
            Answer(await commands.RemoveGrantAsync(await CallerAsync(http), id, http.RequestAborted), _ => Results.NoContent())).WithTags("Grants")
            .WithName("RemoveGrant").WithSummary("Remove a grant").Produces(StatusCodes.Status204NoContent).ProducesChangeProblems();

        // Tokens and passwords belong to the caller: any signed-in local user manages their own.
        api.MapGet("/tokens", async (HttpContext http, IdentityCommands commands) =>
            Answer(await commands.ListTokensAsync(await CallerAsync(http), http.RequestAborted), tokens => Results.Ok(tokens.Select(t =>
                new TokenResponse(t.Id, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.LastUsedAt))))).WithTags("Tokens")
            .WithName("ListTokens").WithSummary("List the caller's own API tokens").Produces<IEnumerable<TokenResponse>>().ProducesChangeProblems();
        api.MapPost("/tokens", async (CreateTokenRequest request, HttpContext http, IdentityCommands commands) =>
            Answer(await commands.CreateTokenAsync(await CallerAsync(http), request.Name, request.ExpiresInDays, http.RequestAborted),
                // The only answer that ever holds the token.
                created => Results.Created($"/api/tokens/{created.Id}", created),
                "The token was not created")).WithTags("Tokens").RequireRateLimiting(RequestLimits.SignInPolicy)
            .WithName("CreateToken").WithSummary("Create an API token for the caller (the answer is the only place it is ever shown)")
            .Produces<CreatedToken>(StatusCodes.Status201Created).ProducesChangeProblems()
            .WithRequestExample(new CreateTokenRequest("ci-deploy", 90));
        api.MapDelete("/tokens/{id:long}", async (long id, HttpContext http, IdentityCommands commands) =>
            Answer(await commands.RevokeTokenAsync(await CallerAsync(http), id, http.RequestAborted), _ => Results.NoContent())).WithTags("Tokens")
            .WithName("RevokeToken").WithSummary("Revoke one of the caller's API tokens").Produces(StatusCodes.Status204NoContent).ProducesChangeProblems();

        api.MapPost("/account/password", async (ChangePasswordRequest request, HttpContext http, IdentityCommands commands) =>
            Answer(await commands.ChangePasswordAsync(await CallerAsync(http), request.CurrentPassword, request.NewPassword, http.RequestAborted),
                _ => Results.NoContent(), "The password was not changed")).WithTags("Account")
            .WithName("ChangePassword").WithSummary("Change the caller's own password").Produces(StatusCodes.Status204NoContent).ProducesChangeProblems()
            .WithRequestExample(new ChangePasswordRequest("the current password", "a new long password"));
        api.MapPost("/account/signout-everywhere", async (HttpContext http, IdentityCommands commands) =>
        {
            var result = await commands.SignOutEverywhereAsync(await CallerAsync(http), http.RequestAborted);
            if (result.Succeeded && http.User.Identity?.AuthenticationType == CookieAuthenticationDefaults.AuthenticationScheme)
            {
                // This browser's cookie would be refused from the next request on; delete it now rather than leave it.
                await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            }
            return Answer(result, _ => Results.NoContent(), "The sessions were not ended");
        }).WithTags("Account").WithName("SignOutEverywhere").WithSummary("End all of the caller's sessions and revoke their API tokens")
            .Produces(StatusCodes.Status204NoContent).ProducesChangeProblems();

        api.MapGet("/audit", async (DateTimeOffset? since, string? actor, string? action, string? cluster, int? limit, HttpContext http, IdentityCommands commands) =>
            Answer(await commands.QueryAuditAsync(await CallerAsync(http), new AuditQuery(since, actor, action, cluster, limit ?? 1000), http.RequestAborted),
                records => Results.Ok(records.Select(ToResponse)))).WithTags("Audit")
            .WithName("QueryAudit").WithSummary("Query the audit log, newest first").Produces<IEnumerable<AuditResponse>>().ProducesChangeProblems();
        api.MapGet("/audit/verify", async (HttpContext http, IdentityCommands commands) =>
            Answer(await commands.VerifyAuditAsync(await CallerAsync(http), http.RequestAborted), verification => Results.Ok(new AuditVerificationResponse(
                verification.Ok, verification.FirstBadId, verification.Truncated,
                verification.Checkpoint is { } c ? new AuditCheckpointResponse(c.LastId, c.LastHash, c.Time, c.KeyedFrom) : null,
                verification.Problem)))).WithTags("Audit")
            .WithName("VerifyAudit").WithSummary("Check the audit log's hash chain against its signed checkpoint").Produces<AuditVerificationResponse>().ProducesChangeProblems();

        return api;
    }

    /// <summary>The request's user as the commands' caller, with the client's address for the audit log.</summary>
    internal static Task<ChangeCaller> CallerAsync(HttpContext http) =>
        http.RequestServices.GetRequiredService<AccessControl>().CallerAsync(http.User, http.ClientAddress(), http.RequestAborted);

    private static IResult Answer<T>(ChangeResult<T> result, Func<T, IResult> success, string failureTitle = "Request refused") =>
        result.Failure switch
        {
            null => success(result.Value!),
            ChangeFailure.Invalid => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: failureTitle, detail: result.Message),
            _ => ChangeEndpoints.Answer(result),
        };

    private static GrantResponse ToResponse(Grant grant) =>
        new(grant.Id, grant.Subject, grant.Role, new ScopeRequest(grant.Scope.Cluster, grant.Scope.Stack), $"{grant.Role} on {grant.Scope}");

    private static UserResponse ToResponse(UserSummary user) =>
        new(user.Id, user.UserName, user.CreatedAt, user.LockedUntil, user.Grants.Select(ToResponse).ToList());

    private static AuditResponse ToResponse(AuditRecord record) =>
        new(record.Id, record.Entry.Time, record.Entry.Actor, record.Entry.Action, record.Entry.Target, record.Entry.Result,
            record.Entry.ClientAddress, record.Entry.Detail, record.Entry.Diff, record.PreviousHash, record.Hash);
}
