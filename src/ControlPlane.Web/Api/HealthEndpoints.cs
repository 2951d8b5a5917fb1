using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Data;

namespace ControlPlane.Web.Api;

/// <summary><c>/healthz</c> (the process answers) and <c>/readyz</c> (database reachable, every cluster synced).</summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" })).AllowAnonymous().ExcludeFromDescription();

        app.MapGet("/readyz", async (ControlPlaneDbContext db, ClusterStateStore store, CancellationToken ct) =>
        {
            var databaseReachable = await CanConnectAsync(db, ct);
            // Anonymous callers (probes) learn ids and states, not error texts that may name hosts and paths.
            var clusters = store.Clusters.Select(c => new { id = c.Id, status = c.Status }).ToList();
            var ready = databaseReachable && store.Clusters.All(c => c.Status == ClusterStatus.Synced);
            var body = new { ready, database = databaseReachable ? "reachable" : "unreachable", clusters };
            return ready ? Results.Ok(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).AllowAnonymous().ExcludeFromDescription();

        return app;
    }

    private static async Task<bool> CanConnectAsync(ControlPlaneDbContext db, CancellationToken ct)
    {
        try
        {
            return await db.Database.CanConnectAsync(ct);
        }
        catch (Exception)
        {
            return false;
        }
    }
}
