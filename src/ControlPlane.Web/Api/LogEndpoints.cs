using System.Text;
using System.Text.RegularExpressions;
using ControlPlane.Core.Logs;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Docker.Connection;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Api;

/// <summary>
/// Log downloads: a service's (all its tasks, every node) or a container's lines as a <c>text/plain</c>
/// attachment, one line each as <see cref="LogText"/> formats it. Lines are written as the engine sends
/// them, so a large log is never held in memory.
/// </summary>
public static partial class LogEndpoints
{
    public static RouteGroupBuilder MapLogEndpoints(this RouteGroupBuilder api)
    {
        var clusters = api.MapGroup("/clusters").WithTags("Logs");

        clusters.MapGet("/{cluster}/services/{idOrName}/logs",
            (string cluster, string idOrName, int? tail, bool? timestamps, ClusterStateStore store, ILogSource source, TimeProvider time, CancellationToken ct) =>
            {
                var known = store.GetState(cluster)?.FindService(idOrName);
                var target = LogTarget.Service(known?.Id ?? idOrName);
                return DownloadAsync(store, source, time, cluster, target, known?.Name ?? idOrName, tail, timestamps, ct);
            })
            .RequirePermission(Permissions.Services.ReadLogs, RouteTargets.Service)
            .WithName("DownloadServiceLogs")
            .Produces(StatusCodes.Status200OK, contentType: "text/plain");

        clusters.MapGet("/{cluster}/containers/{id}/logs",
            (string cluster, string id, int? tail, bool? timestamps, ClusterStateStore store, ILogSource source, TimeProvider time, CancellationToken ct) =>
            {
                var known = LogTargets.Find(store.GetState(cluster), service: null, container: id);
                return DownloadAsync(store, source, time, cluster, known!.Target, known.Label, tail, timestamps, ct);
            })
            .RequirePermission(Permissions.Services.ReadLogs, RouteTargets.Container)
            .WithName("DownloadContainerLogs")
            .Produces(StatusCodes.Status200OK, contentType: "text/plain");

        return api;
    }

    private static async Task<IResult> DownloadAsync(
        ClusterStateStore store, ILogSource source, TimeProvider time, string cluster, LogTarget target, string label, int? tail, bool? timestamps, CancellationToken ct)
    {
        if (store.GetState(cluster) is null)
        {
            return ClusterEndpoints.ClusterNotFound(cluster);
        }
        if (tail < 0)
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid tail",
                detail: "tail is the number of last lines to download (per task for a service); leave it out for all of them.");
        }

        // The first line is read before answering, so a missing target or an unreachable cluster is a
        // problem response rather than a 200 with a truncated file.
        var lines = source.ReadAsync(cluster, target, new LogOptions(tail, Follow: false, Timestamps: true), ct).GetAsyncEnumerator(ct);
        bool any;
        try
        {
            any = await lines.MoveNextAsync();
        }
        catch (Exception ex) when (ex is LogTargetNotFoundException or ClusterUnreachableException)
        {
            await lines.DisposeAsync();
            return ex is LogTargetNotFoundException
                ? Results.Problem(statusCode: StatusCodes.Status404NotFound, title: $"{target.Kind} not found",
                    detail: $"{target.Describe(label)} no longer exists in cluster '{cluster}'.")
                : Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Cluster unreachable", detail: ex.Message);
        }

        var withTimestamps = timestamps ?? true;
        var withSource = target.Kind == LogTargetKind.Service;
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
