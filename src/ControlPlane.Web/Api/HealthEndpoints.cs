using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Core.Health;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Api;

/// <summary><c>/healthz</c> (the process answers) and <c>/readyz</c> (database reachable, every cluster synced; details for signed-in users).</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" })).AllowAnonymous().ExcludeFromDescription();

        app.MapGet("/readyz", async (HttpContext http, IDatabaseProbe database, ClusterStateStore store, AccessControl access, CancellationToken ct) =>
        {
            var databaseReachable = await database.CanConnectAsync(ct);
            var ready = databaseReachable && store.Clusters.All(c => c.Status == ClusterStatus.Synced);
            var status = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
            // Anonymous callers (probes) learn the answer only; signed-in users why, for the clusters they may see.
            if (http.User.Identity?.IsAuthenticated != true)
            {
                return Results.Json(new { ready }, statusCode: status);
            }
            var grants = await access.GrantsOfAsync(http.User, ct);
            var clusters = ClusterVisibility.VisibleClusters(grants, store.Clusters).Select(c => new { id = c.Id, status = c.Status }).ToList();
            return Results.Json(new { ready, database = databaseReachable ? "reachable" : "unreachable", clusters }, statusCode: status);
        }).AllowAnonymous().ExcludeFromDescription();

        return app;
    }
}
