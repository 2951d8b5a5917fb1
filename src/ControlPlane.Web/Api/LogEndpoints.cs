using System.Text;
using System.Text.RegularExpressions;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Logs;
using ControlPlane.Core.State;
using ControlPlane.Web.Authorization;
using ControlPlane.Web.Changes;

namespace ControlPlane.Web.Api;

/// <summary>
/// Log downloads: a service's (all its tasks, every node) or a container's lines as a <c>text/plain</c>
/// attachment, one line each as <see cref="LogText"/> formats it. Lines are written as the engine sends
/// them, so a large log is never held in memory.
/// </summary>
public static partial class LogEndpoints
{
    /// <summary>The most last lines one download may ask for (per task for a service).</summary>
    public const int MaxTail = 100_000;

    public static RouteGroupBuilder MapLogEndpoints(this RouteGroupBuilder api)
    {
        var clusters = api.MapGroup("/clusters").WithTags("Logs");

        // No endpoint filter: the LogReader checks services.logs on the object's own stack and audits a refusal.
        clusters.MapGet("/{cluster}/services/{idOrName}/logs",
            (string cluster, string idOrName, int? tail, bool? timestamps, HttpContext http, ClusterStateStore store, LogReader reader, AccessControl access, TimeProvider time) =>
                DownloadAsync(http, store, reader, access, time, cluster, LogTarget.Service(idOrName), tail, timestamps))
            .WithName("DownloadServiceLogs").WithSummary("Download a service's log (all its tasks) as text")
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        clusters.MapGet("/{cluster}/containers/{id}/logs",
            (string cluster, string id, int? tail, bool? timestamps, HttpContext http, ClusterStateStore store, LogReader reader, AccessControl access, TimeProvider time) =>
                DownloadAsync(http, store, reader, access, time, cluster, LogTarget.Container(id), tail, timestamps))
            .WithName("DownloadContainerLogs").WithSummary("Download a container's log as text")
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        return api;
    }

    private static async Task<IResult> DownloadAsync(HttpContext http, ClusterStateStore store, LogReader reader, AccessControl access, TimeProvider time,
        string cluster, LogTarget requested, int? tail, bool? timestamps)
    {
        var ct = http.RequestAborted;
        if (tail is < 0 or > MaxTail)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid tail",
                detail: $"tail is the number of last lines to download (per task for a service), from 0 to {MaxTail}; leave it out for all of them.");
        }

        // The first line is read before answering, so a refusal, a missing target or an unreachable cluster is
        // a problem response rather than a 200 with a truncated file.
        var caller = await access.CallerAsync(http.User, http.ClientAddress(), ct);
        var lines = reader.ReadAsync(caller, cluster, requested, new LogOptions(tail, Follow: false, Timestamps: true), ct).GetAsyncEnumerator(ct);
        bool any;
        try
        {
            any = await lines.MoveNextAsync();
        }
        catch (Exception ex) when (ex is LogAccessDeniedException or LogTargetNotFoundException or ClusterUnreachableException)
        {
            await lines.DisposeAsync();
            return ex switch
            {
                LogAccessDeniedException => Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: ex.Message),
                LogTargetNotFoundException when store.GetState(cluster) is null => ClusterEndpoints.ClusterNotFound(cluster),
                LogTargetNotFoundException => Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"{requested.Kind} not found",
                    detail: $"{requested.Describe()} no longer exists in cluster '{cluster}'."),
                _ => Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Cluster unreachable", detail: ex.Message),
            };
        }

        var label = LogTargets.Find(store.GetState(cluster), requested.Kind == LogTargetKind.Service ? requested.Id : null,
            requested.Kind == LogTargetKind.Container ? requested.Id : null)?.Label ?? requested.Id;
        var withTimestamps = timestamps ?? true;
        var withSource = requested.Kind == LogTargetKind.Service;
        var fileName = $"{SafeFileName().Replace(label, "-")}-{time.GetUtcNow():yyyyMMdd-HHmmss}.log";
        return Results.Stream(async body =>
        {
            await using (lines)
            {
                await using var writer = new StreamWriter(body, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), leaveOpen: true);
                writer.NewLine = "\n";
                for (var more = any; more; more = await lines.MoveNextAsync())
                {
                    await writer.WriteLineAsync(LogText.Format(lines.Current, withTimestamps, withSource));
                }
            }
        }, "text/plain; charset=utf-8", fileName);
    }

    [GeneratedRegex(@"[^A-Za-z0-9._-]+")]
    private static partial Regex SafeFileName();
}
