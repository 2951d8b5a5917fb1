using ControlPlane.Core.Model;
using ControlPlane.Core.State;

namespace ControlPlane.Web.Api;

/// <summary>
/// The read side of the public HTTP API (DESIGN §6): clusters and what the store knows of them,
/// answered from memory as ControlPlane's own camelCase records; no request reaches an engine.
/// </summary>
public static class ClusterEndpoints
{
    /// <summary>
    /// Every API endpoint hangs off this one group, so authentication and authorization policies are
    /// attached here once, for all of them.
    /// </summary>
    public static RouteGroupBuilder MapControlPlaneApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        var clusters = api.MapGroup("/clusters").WithTags("Clusters");
        api.MapLogEndpoints();

        clusters.MapGet("/", (ClusterStateStore store) => store.Clusters)
            .WithName("ListClusters");

        clusters.MapGet("/{cluster}/nodes", (string cluster, ClusterStateStore store) =>
            WithState(store, cluster, s => Results.Ok(s.Nodes.OrderBy(n => n.Hostname))));

        clusters.MapGet("/{cluster}/services", (string cluster, ClusterStateStore store) =>
            WithState(store, cluster, s => Results.Ok(s.Services.OrderBy(x => x.Name))));

        clusters.MapGet("/{cluster}/services/{idOrName}", (string cluster, string idOrName, ClusterStateStore store) =>
            WithState(store, cluster, s => s.FindService(idOrName) is { } service
                ? Results.Ok(service)
                : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Service not found",
                    detail: $"Cluster '{cluster}' has no service with the id or name '{idOrName}'.")));

        clusters.MapGet("/{cluster}/tasks", (string cluster, string? service, string? node, ClusterStateStore store) =>
            WithState(store, cluster, s => Results.Ok(s.Tasks
                .Where(t => service is null || t.ServiceId == service || t.ServiceName == service)
                .Where(t => node is null || t.NodeId == node)
                .OrderBy(t => t.ServiceName).ThenBy(t => t.Slot).ThenByDescending(t => t.CreatedAt))));

        return api;
    }

    private static IResult WithState(ClusterStateStore store, string clusterId, Func<ClusterState, IResult> answer) =>
        store.GetState(clusterId) is { } state
            ? answer(state)
            : Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Cluster not found",
                detail: $"No cluster has the id '{clusterId}'. GET /api/clusters lists them.");
}
