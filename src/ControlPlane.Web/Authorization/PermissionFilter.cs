using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Web.Authorization;

/// <summary>What an API request acts on, read from its route: a cluster, or a service's stack.</summary>
public static class RouteTargets
{
    public static AccessTarget Cluster(HttpContext context) => AccessTarget.InCluster(RouteValue(context, "cluster"));

    /// <summary>A service's target includes its stack, so stack grants reach it; an unknown service is judged at cluster level.</summary>
    public static AccessTarget Service(HttpContext context)
    {
        var cluster = RouteValue(context, "cluster");
        var service = context.RequestServices.GetRequiredService<ClusterStateStore>().GetState(cluster)?.FindService(RouteValue(context, "idOrName"));
        return AccessTarget.InCluster(cluster, service?.Stack);
    }

    private static string RouteValue(HttpContext context, string name) => context.GetRouteValue(name)?.ToString() ?? "";
}

/// <summary>Attaches a permission check to an endpoint: 403 (audited) unless a grant allows it on the request's target.</summary>
public static class PermissionEndpointExtensions
{
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission, Func<HttpContext, AccessTarget> target)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var access = http.RequestServices.GetRequiredService<AccessControl>();
            var on = target(http);
            return await access.DemandAsync(http.User, permission, on, http.ClientAddress(), http.RequestAborted)
                ? await next(context)
                : Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden",
                    detail: $"You have no grant that allows '{permission}' on {on}.");
        });
}
