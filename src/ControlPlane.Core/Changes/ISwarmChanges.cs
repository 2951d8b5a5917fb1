namespace ControlPlane.Core.Changes;

/// <summary>A spec before and after a change, as JSON, for the audit log's diff.</summary>
public sealed record SpecChange(string Before, string After);

/// <summary>The changes ControlPlane makes to a swarm (implemented against the Docker Engine API).</summary>
public interface ISwarmChanges
{
    /// <summary>Sets a replicated service's replica count (version-checked, retried when the spec moved meanwhile).</summary>
    Task<SpecChange> ScaleServiceAsync(string clusterId, string serviceId, long replicas, CancellationToken cancellationToken);

    /// <summary>Sets a node's availability: active, pause or drain.</summary>
    Task<SpecChange> SetNodeAvailabilityAsync(string clusterId, string nodeId, string availability, CancellationToken cancellationToken);
}

/// <summary>Why a change was not made; maps to 400, 403, 404 and 409 on the API.</summary>
public enum ChangeFailure
{
    Invalid,
    Forbidden,
    NotFound,
    Conflict,
    Failed,
    /// <summary>No manager of the cluster answered; the message names the cluster.</summary>
    Unreachable,
}

/// <summary>One thing wrong with what the caller sent, where it is (line and column of a file, 1-based) and under which key.</summary>
public sealed record InputProblem(int Line, int Column, string Key, string Message)
{
    public override string ToString() => Line > 0 ? $"line {Line}, column {Column}: {Key}: {Message}" : $"{Key}: {Message}";
}

/// <summary>A change refused before it reached the cluster, with a message for the user (and, for a file, each problem in it).</summary>
public sealed class ChangeRejectedException(ChangeFailure reason, string message, IReadOnlyList<InputProblem>? problems = null) : Exception(message)
{
    public ChangeFailure Reason { get; } = reason;

    public IReadOnlyList<InputProblem> Problems { get; } = problems ?? [];
}

/// <summary>
/// How a change ended, whatever the entry point and whatever the change: the diff when it succeeded, the reason and
/// message otherwise, and the operation it started when it started one.
/// </summary>
public record ChangeResult(ChangeFailure? Failure, string Message, string? Diff = null)
{
    public bool Succeeded => Failure is null;

    /// <summary>Refused for want of a grant: pages say so instead of showing what was asked for.</summary>
    public bool Forbidden => Failure == ChangeFailure.Forbidden;

    /// <summary>The operation the change started (a rollout, a rotation), which goes on after the answer.</summary>
    public string? OperationId { get; init; }

    public bool Started => OperationId is not null;

    /// <summary>For input refused as invalid: each problem with its line and key (a Compose file's errors).</summary>
    public IReadOnlyList<InputProblem> Problems { get; init; } = [];

    public static ChangeResult Refused(ChangeFailure failure, string message) => new(failure, message);
}

/// <summary>A change result that carries what the change made or found (a new user, a grant, a token).</summary>
public sealed record ChangeResult<T>(ChangeFailure? Failure, string Message, T? Value = default) : ChangeResult(Failure, Message)
{
    public static new ChangeResult<T> Refused(ChangeFailure failure, string message) => new(failure, message);

    /// <summary>The same result without its value.</summary>
    public ChangeResult WithoutValue() => new(Failure, Message, Diff) { OperationId = OperationId, Problems = Problems };
}
