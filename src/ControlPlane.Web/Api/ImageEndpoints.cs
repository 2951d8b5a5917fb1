using System.Text.Json;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Images;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Web.Authorization;
using ControlPlane.Web.Changes;

namespace ControlPlane.Web.Api;

/// <summary>Rollouts, rollbacks, waves, image distribution (operations, DESIGN §4 "Images"), and their history and drift.</summary>
public static class ImageEndpoints
{
    /// <summary>A new image for a service; update settings left out keep the service's own.</summary>
    public sealed record RolloutRequest(string? Image, UpdateSettings? Update);

    /// <summary>Either a stack (every service moves to <see cref="Image"/>) or a repository (its services move to the tag or digest <see cref="Image"/>).</summary>
    public sealed record WavesRequest(string? Stack, string? Repository, string? Image, int? WaveSize, UpdateSettings? Update);

    /// <summary>An image to pull onto nodes (ids or hostnames); none given: all nodes, or those the service's placement allows.</summary>
    public sealed record DistributeRequest(string? Image, IReadOnlyList<string>? Nodes, string? Service);

    /// <summary>A past rollout, resume or rollback of a service, for its history.</summary>
    public sealed record RolloutHistoryEntry(string Id, string Kind, string Actor, string State, OperationProgress Progress, string? Error,
        DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt, double? DurationSeconds, JsonElement? Parameters);

    public static RouteGroupBuilder MapImageEndpoints(this RouteGroupBuilder api)
    {
        var clusters = api.MapGroup("/clusters").WithTags("Images");

        clusters.MapPost("/{cluster}/services/{idOrName}/rollout", async (string cluster, string idOrName, RolloutRequest request, HttpContext http, AccessControl access, ImageCommands images) =>
            OperationEndpoints.Started(await images.RolloutAsync(await CallerAsync(access, http), cluster, idOrName, request.Image, request.Update, http.RequestAborted)))
            .WithName("RolloutService").WithSummary("Start a rollout of a service to a new image").StartsOperation()
            .WithRequestExample(new RolloutRequest("registry.example/shop/web:2.4.1", null));

        clusters.MapPost("/{cluster}/services/{idOrName}/rollout/resume", async (string cluster, string idOrName, HttpContext http, AccessControl access, ImageCommands images) =>
            OperationEndpoints.Started(await images.ResumeAsync(await CallerAsync(access, http), cluster, idOrName, http.RequestAborted)))
            .WithName("ResumeRollout").WithSummary("Resume a service's paused rollout").StartsOperation();

        clusters.MapPost("/{cluster}/services/{idOrName}/rollback", async (string cluster, string idOrName, HttpContext http, AccessControl access, ImageCommands images) =>
            OperationEndpoints.Started(await images.RollbackAsync(await CallerAsync(access, http), cluster, idOrName, http.RequestAborted)))
            .WithName("RollbackService").WithSummary("Roll a service back to its previous spec").StartsOperation();

        clusters.MapPost("/{cluster}/rollouts/waves", async (string cluster, WavesRequest request, HttpContext http, AccessControl access, ImageCommands images) =>
            OperationEndpoints.Started(await images.WavesAsync(await CallerAsync(access, http), cluster, request.Stack, request.Repository, request.Image, request.WaveSize, request.Update, http.RequestAborted)))
            .WithName("StartRolloutWaves").WithSummary("Roll out a stack's or a repository's services in waves").StartsOperation()
            .WithRequestExample(new WavesRequest("shop", null, "registry.example/shop/web:2.4.1", 2, null));

        clusters.MapPost("/{cluster}/images/distribute", async (string cluster, DistributeRequest request, HttpContext http, AccessControl access, ImageCommands images) =>
            OperationEndpoints.Started(await images.DistributeAsync(await CallerAsync(access, http), cluster, request.Image, request.Nodes, request.Service, http.RequestAborted)))
            .WithName("DistributeImage").WithSummary("Pull an image onto nodes ahead of a rollout").StartsOperation()
            .WithRequestExample(new DistributeRequest("registry.example/shop/web:2.4.1", null, "shop_web"));

        clusters.MapGet("/{cluster}/services/{idOrName}/rollouts", async (string cluster, string idOrName, ClusterStateStore store, RolloutHistory history, CancellationToken ct) =>
            {
                if (store.GetState(cluster)?.FindService(idOrName) is not { } service)
                {
                    return ClusterEndpoints.ServiceNotFound(cluster, idOrName);
                }
                var past = await history.ListAsync(cluster, service.Name, ct);
                return Results.Ok(past.Select(o => new RolloutHistoryEntry(o.Id, o.Kind, o.Actor, o.State, o.Progress, o.Error, o.CreatedAt, o.FinishedAt,
                    o.Duration?.TotalSeconds, o.Parameters is null ? null : JsonDocument.Parse(o.Parameters).RootElement.Clone())));
            })
            .WithName("ListServiceRollouts").WithSummary("List a service's past rollouts, resumes and rollbacks").Read<IEnumerable<RolloutHistoryEntry>>()
            .RequirePermission(Permissions.Clusters.Read, RouteTargets.Service);

        clusters.MapGet("/{cluster}/services/{idOrName}/drift", (string cluster, string idOrName, ClusterStateStore store) =>
                store.GetState(cluster) is { } state && state.FindService(idOrName) is { } service
                    ? Results.Ok(ServiceDrift.Of(state, service))
                    : ClusterEndpoints.ServiceNotFound(cluster, idOrName))
            .WithName("GetServiceDrift").WithSummary("Get which image digest each of a service's tasks runs against the wanted one").Read<ServiceDrift>()
            .RequirePermission(Permissions.Clusters.Read, RouteTargets.Service);

        return api;
    }

    private static Task<ChangeCaller> CallerAsync(AccessControl access, HttpContext http) => access.CallerAsync(http.User, http.ClientAddress(), http.RequestAborted);
}
