using ControlPlane.Web.Hosting;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Stacks;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Api;

/// <summary>
/// Stacks from Compose files (DESIGN §6 "Workloads", §9): preview, deploy and remove (operations), the list, and the
/// last deployed file with its history. Every call goes through <see cref="StackCommands"/>, which asks the gate.
/// </summary>
public static class StackEndpoints
{
    /// <summary>A Compose file to preview or deploy as the stack <see cref="Name"/>.</summary>
    public sealed record StackBody(string? Name, string? Compose, Dictionary<string, string>? Variables, bool? Prune);

    /// <summary>Redeploying an earlier file; prune left out keeps what that deploy asked for.</summary>
    public sealed record RedeployBody(bool? Prune);

    /// <summary>A deploy of the stack's history, as the API shows it; the variables' values only to those who may deploy the stack.</summary>
    public sealed record DeploymentView(long Id, string Stack, string Compose, IReadOnlyDictionary<string, string> Variables, bool VariableValuesHidden, bool Prune,
        string DeployedBy, DateTimeOffset DeployedAt, string? OperationId, string Result)
    {
        public static DeploymentView Of(StackDeployment d) =>
            new(d.Id, d.Stack, d.Compose, d.Variables, d.VariableValuesHidden, d.Prune, d.DeployedBy, d.DeployedAt, d.OperationId, d.Result);
    }

    public static RouteGroupBuilder MapStackEndpoints(this RouteGroupBuilder api)
    {
        var clusters = api.MapGroup("/clusters").WithTags("Stacks");

        clusters.MapPost("/{cluster}/stacks/preview", async (string cluster, StackBody body, HttpContext http, StackCommands stacks) =>
        {
            var result = await stacks.PreviewAsync(await http.ChangeCallerAsync(), cluster, Request(body), http.RequestAborted);
            return result.Succeeded ? Results.Ok(result.Value) : Answer(result);
        }).WithBodyLimit(ApiRequestLimits.StackBodyBytes)
            .WithName("PreviewStack").WithSummary("Preview what deploying a Compose file would change").Produces<StackPreview>().ProducesChangeProblems()
            .WithRequestExample(Example);

        clusters.MapPost("/{cluster}/stacks", async (string cluster, StackBody body, HttpContext http, StackCommands stacks) =>
            Started(await stacks.DeployAsync(await http.ChangeCallerAsync(), cluster, Request(body), http.RequestAborted)))
            .WithBodyLimit(ApiRequestLimits.StackBodyBytes)
            .WithName("DeployStack").WithSummary("Deploy a Compose file as a stack").StartsOperation().WithRequestExample(Example);

        clusters.MapGet("/{cluster}/stacks", async (string cluster, HttpContext http, StackCommands stacks) =>
        {
            var result = await stacks.ListAsync(await http.ChangeCallerAsync(), cluster, http.RequestAborted);
            return result.Succeeded ? Results.Ok(result.Value) : Answer(result);
        }).WithName("ListStacks").WithSummary("List a cluster's stacks the caller may see").Produces<IReadOnlyList<StackListing>>().ProducesChangeProblems();

        clusters.MapGet("/{cluster}/stacks/{name}/compose", async (string cluster, string name, HttpContext http, StackCommands stacks) =>
        {
            var result = await stacks.ComposeAsync(await http.ChangeCallerAsync(), cluster, name, http.RequestAborted);
            return result.Succeeded ? Results.Ok(DeploymentView.Of(result.Value!)) : Answer(result);
        }).WithName("GetStackCompose").WithSummary("Get a stack's last deployed Compose file").Produces<DeploymentView>().ProducesChangeProblems();

        clusters.MapGet("/{cluster}/stacks/{name}/history", async (string cluster, string name, HttpContext http, StackCommands stacks) =>
        {
            var result = await stacks.HistoryAsync(await http.ChangeCallerAsync(), cluster, name, http.RequestAborted);
            return result.Succeeded ? Results.Ok(result.Value!.Select(DeploymentView.Of)) : Answer(result);
        }).WithName("ListStackHistory").WithSummary("List a stack's deploys, newest first").Produces<IEnumerable<DeploymentView>>().ProducesChangeProblems();

        clusters.MapPost("/{cluster}/stacks/{name}/history/{id:long}/redeploy", async (string cluster, string name, long id, RedeployBody? body, HttpContext http, StackCommands stacks) =>
            Started(await stacks.RedeployAsync(await http.ChangeCallerAsync(), cluster, name, id, body?.Prune, http.RequestAborted)))
            .WithName("RedeployStack").WithSummary("Deploy an earlier Compose file of a stack again").StartsOperation()
            .WithRequestExample(new RedeployBody(true));

        clusters.MapDelete("/{cluster}/stacks/{name}", async (string cluster, string name, HttpContext http, StackCommands stacks) =>
            Started(await stacks.RemoveAsync(await http.ChangeCallerAsync(), cluster, name, http.RequestAborted)))
            .WithName("RemoveStack").WithSummary("Remove a stack's services and the objects it created").StartsOperation();

        return api;
    }

    private static readonly StackBody Example = new("shop",
        "services:\n  web:\n    image: registry.example/shop/web:${TAG}\n    deploy:\n      replicas: 2\n", new() { ["TAG"] = "2.4.1" }, false);

    private static StackRequest Request(StackBody body) => new(body.Name, body.Compose, body.Variables, body.Prune ?? false);

    /// <summary>An operation started (202 with its id and Location), or the refusal; a file's problems as <c>errors</c>.</summary>
    private static IResult Started(ChangeResult result) => result.Started ? OperationEndpoints.Started(result) : Answer(result);

    /// <summary>A refusal as a problem; a file's problems under <c>errors</c> with their lines.</summary>
    public static IResult Answer(ChangeResult result) => ChangeEndpoints.Answer(result, "Invalid Compose file");
}
