namespace ControlPlane.Core.Model;

/// <summary>The kinds of cluster objects the store keeps.</summary>
public enum ResourceKind
{
    Node,
    Service,
    Task,
    Container,
    Secret,
    Config,
    Network,
    Image,
    Event,
}

/// <summary>A cluster object the store can hold: it has a stable id and a kind.</summary>
public interface IClusterResource
{
    string Id { get; }

    ResourceKind Kind { get; }
}

/// <summary>
/// A swarm object carrying the swarm's version index, which only grows: a listing taken before an
/// event's inspect must not overwrite what the inspect found.
/// </summary>
public interface IVersionedResource : IClusterResource
{
    ulong ObjectVersion { get; }
}
