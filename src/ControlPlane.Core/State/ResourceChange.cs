using System.Collections.Immutable;
using System.Text.Json.Serialization;
using ControlPlane.Core.Model;

namespace ControlPlane.Core.State;

/// <summary>Whether a change puts an object in the store or takes it out.</summary>
public enum ChangeType
{
    Upsert,
    Delete,
}

/// <summary>One object added, changed or removed.</summary>
public sealed record ResourceChange(ChangeType Type, ResourceKind Kind, string Id, IClusterResource? Resource)
{
    public static ResourceChange Upsert(IClusterResource resource) => new(ChangeType.Upsert, resource.Kind, resource.Id, resource);

    public static ResourceChange Delete(ResourceKind kind, string id) => new(ChangeType.Delete, kind, id, null);
}

/// <summary>
/// The changes that took a cluster's state from <c>Version - 1</c> to <see cref="Version"/>.
/// <see cref="State"/> is the whole state after them, so a reader that coalesces batches can render the last one;
/// the cluster, its id and the version are read from it.
/// </summary>
public sealed record ChangeBatch([property: JsonIgnore] ClusterState State, ImmutableArray<ResourceChange> Changes)
{
    public string ClusterId => State.Cluster.Id;

    public long Version => State.Version;

    public ClusterInfo Cluster => State.Cluster;
}
