using ControlPlane.Core.Changes;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Api;

/// <summary>Changes to services and nodes; every one goes through the change executor (checked, audited, locked).</summary>
public static class ChangeEndpoints
{
    public sealed record ScaleRequest(long? Replicas);

    public sealed record AvailabilityRequest(string? Availability);

    /// <summary>A change made: what was done, and the diff of the object's spec where there is one.</summary>
    public sealed record ChangeApplied(string Message, string? Diff);

    public static RouteGroupBuilder MapChangeEndpoints(this RouteGroupBuilder api)
    {
        var clusters = api.MapGroup("/clusters").WithTags("Changes");

        clusters.MapPost("/{cluster}/services/{idOrName}/scale", async (string cluster, string idOrName, ScaleRequest request, HttpContext http, ServiceCommands services) =>
            Answer(await services.ScaleAsync(await http.ChangeCallerAsync(), cluster, idOrName, request.Replicas, http.RequestAborted)))
            .WithName("ScaleService").WithSummary("Scale a replicated service").AnswersChange().WithRequestExample(new ScaleRequest(3));

        clusters.MapPost("/{cluster}/nodes/{idOrHostname}/availability", async (string cluster, string idOrHostname, AvailabilityRequest request, HttpContext http, NodeCommands nodes) =>
            Answer(await nodes.SetAvailabilityAsync(await http.ChangeCallerAsync(), cluster, idOrHostname, request.Availability, http.RequestAborted)))
            .WithName("SetNodeAvailability").WithSummary("Set a node's availability (active, pause or drain)").AnswersChange()
            .WithRequestExample(new AvailabilityRequest("drain"));

        return api;
    }

    /// <summary>
    /// A change's result as HTTP: 200 with the diff, or a problem whose status says why it was not made. Input refused
    /// with its problems (a Compose file's, a service request's) lists each under <c>errors: [{line, column, key,
    /// message}]</c>, an extension of the problem details, so clients can point at them.
    /// </summary>
    /// <summary>For the document: the endpoint answers with <see cref="Answer"/>.</summary>
    public static RouteHandlerBuilder AnswersChange(this RouteHandlerBuilder builder) => builder.Produces<ChangeApplied>().ProducesChangeProblems();

    public static IResult Answer(ChangeResult result, string invalidTitle = "Invalid change") => result.Failure switch
    {
        null => Results.Ok(new ChangeApplied(result.Message, result.Diff)),
        ChangeFailure.Invalid => Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: invalidTitle, detail: result.Message,
            extensions: result.Problems.Count == 0 ? null : new Dictionary<string, object?>
            {
                ["errors"] = result.Problems.Select(p => new { line = p.Line, column = p.Column, key = p.Key, message = p.Message }).ToList(),
            }),
        ChangeFailure.Forbidden => Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: result.Message),
        ChangeFailure.NotFound => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: result.Message),
        ChangeFailure.Conflict => Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Change in progress", detail: result.Message),
        ChangeFailure.Unreachable => Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Cluster unreachable", detail: result.Message),
        _ => Results.Problem(statusCode: StatusCodes.Status502BadGateway, title: "The cluster refused the change", detail: result.Message),
    };
}
