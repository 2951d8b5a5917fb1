namespace ControlPlane.Core.Changes;

/// <summary>What an engine failure means for the caller who asked.</summary>
public enum EngineFaultKind
{
    /// <summary>The engine refused the request as malformed (its 400).</summary>
    BadRequest,
    /// <summary>The engine does not know the object (its 404).</summary>
    NotFound,
    /// <summary>The engine refused because of the object's state (its 409).</summary>
    Conflict,
    /// <summary>No manager of the cluster answered.</summary>
    Unreachable,
    /// <summary>The engine did not answer within the per-call timeout.</summary>
    Timeout,
}

/// <summary>An engine failure in ControlPlane's words, with the engine's own message where it gave one.</summary>
public sealed record EngineFault(EngineFaultKind Kind, string Message);

/// <summary>
/// Reads an exception from the engine adapter as an <see cref="EngineFault"/>, so code outside the adapter
/// (the change gate, the API's fault barrier) can answer it without knowing Docker.DotNet.
/// </summary>
public interface IEngineFaults
{
    /// <summary>The fault, or null when the exception is not an engine failure ControlPlane can name.</summary>
    EngineFault? Classify(Exception exception);
}
