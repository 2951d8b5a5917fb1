using ControlPlane.Core.Changes;
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
        }).WithName("CreateService");

        clusters.MapPatch("/{cluster}/services/{idOrName}", async (string cluster, string idOrName, ServiceRequest request, HttpContext http, ServiceCommands services) =>
            ChangeEndpoints.Answer(await services.EditAsync(await http.ChangeCallerAsync(), cluster, idOrName, request, http.RequestAborted)))
            .WithName("EditService");

        clusters.MapPost("/{cluster}/services/{idOrName}/restart", async (string cluster, string idOrName, HttpContext http, ServiceCommands services) =>
            OperationEndpoints.Started(await services.RestartAsync(await http.ChangeCallerAsync(), cluster, idOrName, http.RequestAborted)))
            .WithName("RestartService");

        clusters.MapDelete("/{cluster}/services/{idOrName}", async (string cluster, string idOrName, HttpContext http, ServiceCommands services) =>
            ChangeEndpoints.Answer(await services.RemoveAsync(await http.ChangeCallerAsync(), cluster, idOrName, http.RequestAborted)))
            .WithName("RemoveService");

        clusters.MapPost("/{cluster}/nodes/{idOrHostname}/role", async (string cluster, string idOrHostname, RoleRequest request, HttpContext http, NodeCommands nodes) =>
            ChangeEndpoints.Answer(await nodes.SetRoleAsync(await http.ChangeCallerAsync(), cluster, idOrHostname, request.Role, http.RequestAborted)))
            .WithName("SetNodeRole");

        clusters.MapPut("/{cluster}/nodes/{idOrHostname}/labels", async (string cluster, string idOrHostname, LabelsRequest request, HttpContext http, NodeCommands nodes) =>
            ChangeEndpoints.Answer(await nodes.SetLabelsAsync(await http.ChangeCallerAsync(), cluster, idOrHostname, request.Labels, http.RequestAborted)))
            .WithName("SetNodeLabels");

        clusters.MapDelete("/{cluster}/nodes/{idOrHostname}", async (string cluster, string idOrHostname, HttpContext http, NodeCommands nodes) =>
            ChangeEndpoints.Answer(await nodes.RemoveAsync(await http.ChangeCallerAsync(), cluster, idOrHostname, http.RequestAborted)))
            .WithName("RemoveNode");

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
            return Results.Ok(new { worker = tokens.Worker, manager = tokens.Manager, managerAddresses = tokens.ManagerAddresses });
        }).WithName("GetJoinTokens");

        clusters.MapPost("/{cluster}/swarm/join-tokens/rotate", async (string cluster, RoleRequest request, HttpContext http, SwarmCommands swarm) =>
            ChangeEndpoints.Answer(await swarm.RotateJoinTokenAsync(await http.ChangeCallerAsync(), cluster, request.Role, http.RequestAborted)))
            .WithName("RotateJoinToken");

        return api;
    }
}
