using ControlPlane.Core.Changes;
using System.Net;
using System.Runtime.CompilerServices;
using ControlPlane.Core.Logs;
using ControlPlane.Docker.Connection;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Docker.Logs;

/// <summary>
/// Reads service and container logs from the cluster's current manager. Service logs reach tasks on
/// every node through the swarm; container logs reach only containers of the manager's own engine.
/// </summary>
public sealed class DockerLogSource(ClusterRegistry registry) : ILogSource
{
    private const int ReadBufferSize = 64 * 1024;

    public async IAsyncEnumerable<LogLine> ReadAsync(string clusterId, LogTarget target, LogOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var connection = registry.Find(clusterId) ?? throw new LogTargetNotFoundException($"No cluster has the id '{clusterId}'.");
        var engine = await connection.ConnectAsync(cancellationToken);
        using var stream = await OpenAsync(connection, engine, target, options, cancellationToken);
        var parser = new DockerLogParser(hasDetails: target.Kind == LogTargetKind.Service, source: target.Kind == LogTargetKind.Container ? target.Id : null);
        var buffer = new byte[ReadBufferSize];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
            if (read.EOF)
            {
                break;
            }
            var name = read.Target == MultiplexedStream.TargetStream.StandardError ? LogLine.StandardError : LogLine.StandardOutput;
            foreach (var line in parser.Append(name, buffer.AsSpan(0, read.Count)))
            {
                yield return options.Timestamps ? line : line with { Time = null };
            }
        }
        foreach (var line in parser.Flush())
        {
            yield return options.Timestamps ? line : line with { Time = null };
        }
    }

    private static async Task<MultiplexedStream> OpenAsync(ClusterConnection connection, ConnectedEngine engine, LogTarget target, LogOptions options, CancellationToken cancellationToken)
    {
        // Docker's "all" is the absence of a limit; a number limits each task's (or the container's) lines.
        var tail = options.Tail is { } lines ? Math.Max(0, lines).ToString(System.Globalization.CultureInfo.InvariantCulture) : "all";
        try
        {
            return target.Kind switch
            {
                // Timestamps are always asked for: they are parsed off, and the text is the same either way.
                LogTargetKind.Service => await connection.CallAsync(engine.Client, c => c.Swarm.GetServiceLogsAsync(EngineReference.Check(target.Id, "service id or name"), false, new ServiceLogsParameters
                {
                    Follow = options.Follow,
                    Tail = tail,
                    Timestamps = true,
                    Details = true,
                    ShowStdout = true,
                    ShowStderr = true,
                }, cancellationToken)),
                _ => await connection.CallAsync(engine.Client, c => c.Containers.GetContainerLogsAsync(EngineReference.Check(target.Id, "container id or name"), new ContainerLogsParameters
                {
                    Follow = options.Follow,
                    Tail = tail,
                    Timestamps = true,
                    ShowStdout = true,
                    ShowStderr = true,
                }, cancellationToken)),
            };
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            var where = target.Kind == LogTargetKind.Container ? $" on the manager's engine ({engine.Endpoint})" : "";
            throw new LogTargetNotFoundException($"{target.Describe()} no longer exists{where}.");
        }
    }
}
