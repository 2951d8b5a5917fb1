namespace ControlPlane.Core.Model;

/// <summary>How well ControlPlane currently sees a cluster.</summary>
public enum ClusterStatus
{
    /// <summary>No listing has completed yet.</summary>
    Connecting,

    /// <summary>Listed and following the event stream.</summary>
    Synced,

    /// <summary>The picture may be stale: the stream broke or a manager failed; reconnecting.</summary>
    Degraded,

    /// <summary>No configured endpoint answers.</summary>
    Unreachable,
}

/// <summary>A cluster's identity and connection health.</summary>
public sealed record ClusterInfo(
    string Id,
    string Name,
    ClusterStatus Status,
    string? Endpoint,
    string? EngineVersion,
    string? ApiVersion,
    string? Error,
    DateTimeOffset? LastSyncedAt)
{
    public static ClusterInfo Initial(string id, string name) =>
        new(id, name, ClusterStatus.Connecting, null, null, null, null, null);

    /// <summary>
    /// Identity and status only: no endpoint, engine or API version, or error text (which names hosts and paths),
    /// for callers who may see only some stacks of the cluster.
    /// </summary>
    public ClusterInfo WithoutConnectionDetails() => this with { Endpoint = null, EngineVersion = null, ApiVersion = null, Error = null };
}
