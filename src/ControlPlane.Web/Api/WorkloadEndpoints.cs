using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Workloads;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Api;

/// <summary>
/// Services created, edited, restarted and removed; node roles, labels and removal; the swarm's join tokens (DESIGN §6
/// "Workloads"). Every one goes through the change gate (checked, locked, audited) in the Core commands.
/// </summary>
public static class WorkloadEndpoints
{
    public sealed record RoleRequest(string? Role);

    public sealed record LabelsRequest(Dictionary<string, string>? Labels);

    public static RouteGroupBuilder MapWorkloadEndpoints(this RouteGroupBuilder api)
    {
        var clusters = api.MapGroup("/clusters").WithTags("Workloads");

        clusters.MapPost("/{cluster}/services", async (string cluster, ServiceRequest request, HttpContext http, ServiceCommands services) =>
        {
            var result = await services.CreateAsync(await http.ChangeCallerAsync(), cluster, request, http.RequestAborted);
            return result.Succeeded
                ? Results.Created($"/api/clusters/{cluster}/services/{result.Value!.Name}", result.Value)
                : ChangeEndpoints.Answer(result);
        }).WithName("CreateService").WithSummary("Create a service").Produces<ClusterService>(StatusCodes.Status201Created).ProducesChangeProblems()
            // Only the fields set: a client sends what it wants, the rest keeps Docker's defaults.
            .WithRequestExample(new { name = "shop_web", image = "registry.example/shop/web:2.4.1", replicas = 2, env = new Dictionary<string, string> { ["LOG_LEVEL"] = "info" } });

        clusters.MapPatch("/{cluster}/services/{idOrName}", async (string cluster, string idOrName, ServiceRequest request, HttpContext http, ServiceCommands services) =>
            ChangeEndpoints.Answer(await services.EditAsync(await http.ChangeCallerAsync(), cluster, idOrName, request, http.RequestAborted)))
            .WithName("EditService").WithSummary("Change a service's spec (fields left out stay as they are)").AnswersChange()
            .WithRequestExample(new { image = "registry.example/shop/web:2.4.2" });

        clusters.MapPost("/{cluster}/services/{idOrName}/restart", async (string cluster, string idOrName, HttpContext http, ServiceCommands services) =>
            OperationEndpoints.Started(await services.RestartAsync(await http.ChangeCallerAsync(), cluster, idOrName, http.RequestAborted)))
            .WithName("RestartService").WithSummary("Restart a service's tasks one by one").StartsOperation();

        clusters.MapDelete("/{cluster}/services/{idOrName}", async (string cluster, string idOrName, HttpContext http, ServiceCommands services) =>
            ChangeEndpoints.Answer(await services.RemoveAsync(await http.ChangeCallerAsync(), cluster, idOrName, http.RequestAborted)))
            .WithName("RemoveService").WithSummary("Remove a service").AnswersChange();

        clusters.MapPost("/{cluster}/nodes/{idOrHostname}/role", async (string cluster, string idOrHostname, RoleRequest request, HttpContext http, NodeCommands nodes) =>
            ChangeEndpoints.Answer(await nodes.SetRoleAsync(await http.ChangeCallerAsync(), cluster, idOrHostname, request.Role, http.RequestAborted)))
            .WithName("SetNodeRole").WithSummary("Promote a node to manager or demote it to worker").AnswersChange()
            .WithRequestExample(new RoleRequest("manager"));

        clusters.MapPut("/{cluster}/nodes/{idOrHostname}/labels", async (string cluster, string idOrHostname, LabelsRequest request, HttpContext http, NodeCommands nodes) =>
            ChangeEndpoints.Answer(await nodes.SetLabelsAsync(await http.ChangeCallerAsync(), cluster, idOrHostname, request.Labels, http.RequestAborted)))
            .WithName("SetNodeLabels").WithSummary("Replace a node's labels").AnswersChange()
            .WithRequestExample(new LabelsRequest(new() { ["zone"] = "eu-1a" }));

        clusters.MapDelete("/{cluster}/nodes/{idOrHostname}", async (string cluster, string idOrHostname, HttpContext http, NodeCommands nodes) =>
            ChangeEndpoints.Answer(await nodes.RemoveAsync(await http.ChangeCallerAsync(), cluster, idOrHostname, http.RequestAborted)))
            .WithName("RemoveNode").WithSummary("Remove a node that is down from the swarm").AnswersChange();

        clusters.MapGet("/{cluster}/swarm/join-tokens", async (string cluster, HttpContext http, SwarmCommands swarm) =>
        {
            var result = await swarm.ReadJoinTokensAsync(await http.ChangeCallerAsync(), cluster, http.RequestAborted);
            if (!result.Succeeded)
            {
                return ChangeEndpoints.Answer(result);
            }
            // A token adds a node to the swarm: no cache along the way may keep it.
            http.Response.Headers.CacheControl = "no-store";
            var tokens = result.Value!;
            return Results.Ok(tokens);
        }).WithName("GetJoinTokens").WithSummary("Get the swarm's join tokens and manager addresses").Produces<JoinTokens>().ProducesChangeProblems();

        clusters.MapPost("/{cluster}/swarm/join-tokens/rotate", async (string cluster, RoleRequest request, HttpContext http, SwarmCommands swarm) =>
            ChangeEndpoints.Answer(await swarm.RotateJoinTokenAsync(await http.ChangeCallerAsync(), cluster, request.Role, http.RequestAborted)))
            .WithName("RotateJoinToken").WithSummary("Rotate the worker or manager join token").AnswersChange()
            .WithRequestExample(new RoleRequest("worker"));

        return api;
    }
}
