using ControlPlane.Core.Changes;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Web.Authorization;
using ControlPlane.Web.Changes;

namespace ControlPlane.Web.Api;

/// <summary>
/// Operations (DESIGN §4, §6): one by id, a filtered list newest first, and cancelling one. A caller sees an
/// operation when they may read its cluster (and stack); cancelling needs the permission that started it.
/// </summary>
public static class OperationEndpoints
{
    /// <summary>An operation started: follow it at <c>GET /api/operations/{operationId}</c> (the Location header).</summary>
    public sealed record OperationStarted(string OperationId);

    /// <summary>A cancel asked for; the operation stops at its next step.</summary>
    public sealed record CancelRequested(string OperationId, string Message);

    public static RouteGroupBuilder MapOperationEndpoints(this RouteGroupBuilder api)
    {
        var operations = api.MapGroup("/operations").WithTags("Operations");

        operations.MapGet("/{id}", async (string id, HttpContext http, IOperationStore store, AccessControl access) =>
        {
            var operation = await store.FindAsync(id, http.RequestAborted);
            if (operation is null)
            {
                return NotFound(id);
            }
            if (!await access.DemandAsync(http.User, Permissions.Clusters.Read, ScopeOf(operation), http.ClientAddress(), http.RequestAborted))
            {
                return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                    detail: $"You have no grant that lets you read {ScopeOf(operation)}.");
            }
            return Results.Ok(operation);
        }).WithName("GetOperation").WithSummary("Get an operation: its state, progress and steps").Produces<Operation>()
            .ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

        operations.MapGet("/", async (string? cluster, string? kind, string? target, string? state, int? limit, HttpContext http, IOperationStore store, AccessControl access) =>
        {
            var grants = await access.GrantsOfAsync(http.User, http.RequestAborted);
            var found = await store.ListAsync(new OperationQuery(cluster, kind, target, state, Math.Clamp(limit ?? 100, 1, 1000)), http.RequestAborted);
            return Results.Ok(found.Where(o => AccessPolicy.IsAllowed(grants, Permissions.Clusters.Read, ScopeOf(o))));
        }).WithName("ListOperations").WithSummary("List operations the caller may see, newest first").Produces<IEnumerable<Operation>>();

        operations.MapPost("/{id}/cancel", async (string id, HttpContext http, OperationRunner runner, AccessControl access) =>
        {
            var caller = await access.CallerAsync(http.User, http.ClientAddress(), http.RequestAborted);
            var result = await runner.CancelAsync(caller, id, http.RequestAborted);
            return result.Succeeded ? Results.Accepted($"/api/operations/{id}", new CancelRequested(id, result.Message)) : ChangeEndpoints.Answer(result);
        }).WithName("CancelOperation").WithSummary("Cancel a running operation").Produces<CancelRequested>(StatusCodes.Status202Accepted).ProducesChangeProblems();

        return api;
    }

    /// <summary>The answer for an operation start: 202 with its id and where to follow it, or the problem.</summary>
    public static IResult Started(ChangeResult start) => start.Started
        ? Results.Accepted($"/api/operations/{start.OperationId}", new OperationStarted(start.OperationId!))
        : ChangeEndpoints.Answer(start);

    /// <summary>For the document: the endpoint answers with <see cref="Started"/>.</summary>
    public static RouteHandlerBuilder StartsOperation(this RouteHandlerBuilder builder) =>
        builder.Produces<OperationStarted>(StatusCodes.Status202Accepted).ProducesChangeProblems();

    public static AccessTarget ScopeOf(Operation operation) => AccessTarget.InCluster(operation.ClusterId, operation.Stack);

    private static IResult NotFound(string id) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Operation not found", detail: $"No operation has the id '{id}'.");
}
