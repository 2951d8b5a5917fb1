using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Api;

/// <summary>
/// The read side of the public HTTP API (DESIGN §6): clusters and what the store knows of them,
/// answered from memory as ControlPlane's own camelCase records; no request reaches an engine.
/// Callers see what their grants reach: a Viewer of one stack gets that stack's services and tasks, and
/// a 403 (audited) for anything cluster-wide.
/// </summary>
public static class ClusterEndpoints
{
    /// <summary>
    /// Every API endpoint hangs off this one group, so authentication and authorization policies are
    /// attached here once, for all of them.
    /// </summary>
    public static RouteGroupBuilder MapControlPlaneApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization();
        var clusters = api.MapGroup("/clusters").WithTags("Clusters");
        api.MapLogEndpoints();
        api.MapIdentityEndpoints();
        api.MapChangeEndpoints();
        api.MapWorkloadEndpoints();
        api.MapSecretEndpoints();
        api.MapOperationEndpoints();
        api.MapImageEndpoints();
        api.MapStackEndpoints();
        api.MapAuditExport();

        clusters.MapGet("/", async (HttpContext http, ClusterStateStore store, AccessControl access) =>
            {
                var grants = await access.GrantsOfAsync(http.User, http.RequestAborted);
                return ClusterVisibility.VisibleClusters(grants, store.Clusters);
            })
            .WithName("ListClusters").WithSummary("List the clusters the caller may see");

        clusters.MapGet("/{cluster}/nodes", (string cluster, ClusterStateStore store) =>
            WithState(store, cluster, s => Results.Ok(s.Nodes.OrderBy(n => n.Hostname))))
            .WithName("ListNodes").WithSummary("List a cluster's nodes").Read<IEnumerable<ClusterNode>>()
            .RequirePermission(Permissions.Clusters.Read, RouteTargets.Cluster);

        clusters.MapGet("/{cluster}/services", (string cluster, HttpContext http) =>
            WithVisibleState(http, cluster, s => Results.Ok(s.Services.OrderBy(x => x.Name))))
            .WithName("ListServices").WithSummary("List a cluster's services the caller may see").Read<IEnumerable<ClusterService>>();

        clusters.MapGet("/{cluster}/services/{idOrName}", (string cluster, string idOrName, ClusterStateStore store) =>
            WithState(store, cluster, s => s.FindService(idOrName) is { } service
                ? Results.Ok(service)
                : ServiceNotFound(cluster, idOrName)))
            .WithName("GetService").WithSummary("Get a service by id or name").Read<ClusterService>()
            .RequirePermission(Permissions.Clusters.Read, RouteTargets.Service);

        clusters.MapGet("/{cluster}/tasks", (string cluster, string? service, string? node, HttpContext http) =>
            WithVisibleState(http, cluster, s => Results.Ok(s.Tasks
                .Where(t => service is null || t.ServiceId == service || t.ServiceName == service)
                .Where(t => node is null || t.NodeId == node)
                .OrderBy(t => t.ServiceName).ThenBy(t => t.Slot).ThenByDescending(t => t.CreatedAt))))
            .WithName("ListTasks").WithSummary("List a cluster's tasks, by service or node").Read<IEnumerable<ClusterTask>>();

        clusters.MapGet("/{cluster}/containers", (string cluster, HttpContext http) =>
            WithVisibleState(http, cluster, s => Results.Ok(s.Containers.OrderBy(c => c.Name))))
            .WithName("ListContainers").WithSummary("List a cluster's containers").Read<IEnumerable<ClusterContainer>>();

        clusters.MapGet("/{cluster}/images", (string cluster, ClusterStateStore store) =>
            WithState(store, cluster, s => Results.Ok(s.Images.OrderBy(i => i.Tags.FirstOrDefault() ?? i.Id))))
            .WithName("ListImages").WithSummary("List the images on a cluster's nodes").Read<IEnumerable<ClusterImage>>()
            .RequirePermission(Permissions.Clusters.Read, RouteTargets.Cluster);

        clusters.MapGet("/{cluster}/networks", (string cluster, HttpContext http) =>
            WithVisibleState(http, cluster, s => Results.Ok(s.Networks.OrderBy(n => n.Name))))
            .WithName("ListNetworks").WithSummary("List a cluster's networks").Read<IEnumerable<ClusterNetwork>>();

        foreach (var kind in FileObjectKinds.All)
        {
            clusters.MapGet($"/{{cluster}}/{kind.Plural}", (string cluster, HttpContext http) =>
                WithVisibleState(http, cluster, s => Results.Ok(s.FileObjects(kind.Kind).OrderBy(x => x.Name).Select(x => FileObjectView.Of(x, s)))))
                .WithName($"List{OpenApiDescription.Pascal(kind.Plural)}").WithSummary($"List a cluster's {kind.Plural} (metadata only)").Read<IEnumerable<FileObjectView>>();
        }

        return api;
    }

    /// <summary>
    /// A secret or config as the API shows it (DESIGN §6): its family and version (from ControlPlane's labels;
    /// an unlabelled one is a family of one, version 1) and the services that use it. Metadata only.
    /// </summary>
    public sealed record FileObjectView(string Id, string Name, string Family, int Version, DateTimeOffset CreatedAt, IReadOnlyList<string> UsedBy)
    {
        public static FileObjectView Of(ClusterFileObject file, ClusterState state) => new(
            file.Id,
            file.Name,
            file.Labels.GetValueOrDefault(FileObjectList.FamilyLabel) ?? file.Name,
            int.TryParse(file.Labels.GetValueOrDefault(FileObjectList.VersionLabel), out var version) ? version : 1,
            file.CreatedAt,
            state.Services.Where(service => file.FileKind.Facts().MountsOf(service.Details).Any(f => f.Id == file.Id)).Select(service => service.Name).Order().ToList());
    }

    /// <summary>A read's answers: the item or list, or a problem (no grant reaching it, or no such cluster or object).</summary>
    internal static RouteHandlerBuilder Read<T>(this RouteHandlerBuilder builder) =>
        builder.Produces<T>().ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound);

    private static IResult WithState(ClusterStateStore store, string clusterId, Func<ClusterState, IResult> answer) =>
        store.GetState(clusterId) is { } state
            ? answer(state)
            : ClusterNotFound(clusterId);

    /// <summary>Answers from the part of the cluster the caller may see; 403 (audited) when that is nothing.</summary>
    private static async Task<IResult> WithVisibleState(HttpContext http, string clusterId, Func<ClusterState, IResult> answer)
    {
        var access = http.RequestServices.GetRequiredService<AccessControl>();
        var visibility = await access.VisibilityAsync(http.User, clusterId, http.RequestAborted);
        if (!visibility.SeesAnything)
        {
            await access.AuditRefusalAsync(Authentication.ControlPlaneClaims.Actor(http.User), Permissions.Clusters.Read, clusterId,
                http.ClientAddress(), "no grant on this cluster or any of its stacks");
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                detail: $"You have no grant on cluster '{clusterId}' or any of its stacks.");
        }
        return http.RequestServices.GetRequiredService<ClusterStateStore>().GetState(clusterId) is { } state
            ? answer(visibility.Apply(state))
            : ClusterNotFound(clusterId);
    }

    internal static IResult ServiceNotFound(string clusterId, string idOrName) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Service not found",
            detail: $"Cluster '{clusterId}' has no service with the id or name '{idOrName}'.");

    internal static IResult ClusterNotFound(string clusterId) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Cluster not found",
            detail: $"No cluster has the id '{clusterId}'. GET /api/clusters lists them.");
}
