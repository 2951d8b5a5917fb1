namespace ControlPlane.Core.Logs;

/// <summary>One line a service's tasks or a container wrote.</summary>
/// <param name="Time">When the engine received the line; null when timestamps were not asked for or not readable.</param>
/// <param name="Stream"><c>stdout</c> or <c>stderr</c>.</param>
/// <param name="Text">The line without its line break.</param>
/// <param name="TaskOrContainer">The task that wrote a service's line, or the container for container logs.</param>
public sealed record LogLine(DateTimeOffset? Time, string Stream, string Text, string? TaskOrContainer)
{
    public const string StandardOutput = "stdout";

    public const string StandardError = "stderr";

    public bool IsError => Stream == StandardError;
}

/// <summary>Whose logs to read.</summary>
public enum LogTargetKind
{
    Service,
    Container,
}

/// <summary>A service (id or name) or a container (id) whose logs to read.</summary>
public sealed record LogTarget(LogTargetKind Kind, string Id)
{
    public static LogTarget Service(string idOrName) => new(LogTargetKind.Service, idOrName);

    public static LogTarget Container(string id) => new(LogTargetKind.Container, id);

    /// <summary>How messages name the target: "Service 'web'", "Container '3f2a…'".</summary>
    public string Describe(string? label = null) => $"{Kind} '{label ?? Id}'";
}

/// <summary>How much to read and whether to keep reading.</summary>
/// <param name="Tail">The last lines to start with (per task for services); null for all of them.</param>
/// <param name="Follow">Keep the stream open and yield lines as they are written.</param>
/// <param name="Timestamps">Fill <see cref="LogLine.Time"/>.</param>
public sealed record LogOptions(int? Tail = 500, bool Follow = false, bool Timestamps = true);

/// <summary>Reads the logs of a service or a container of a cluster (the port the Docker adapter implements).</summary>
public interface ILogSource
{
    /// <summary>
    /// Yields the target's lines in the order the engine sends them; with <see cref="LogOptions.Follow"/>
    /// until cancelled or the engine closes the stream. Throws <see cref="LogTargetNotFoundException"/>
    /// when the cluster, service or container does not exist.
    /// </summary>
    IAsyncEnumerable<LogLine> ReadAsync(string clusterId, LogTarget target, LogOptions options, CancellationToken cancellationToken);
}

/// <summary>The cluster, service or container whose logs were asked for does not exist (any more).</summary>
public sealed class LogTargetNotFoundException(string message) : Exception(message);
