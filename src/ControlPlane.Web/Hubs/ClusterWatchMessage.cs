using ControlPlane.Core.Model;
using ControlPlane.Core.State;

namespace ControlPlane.Web.Hubs;

/// <summary>
/// One item of the <c>Watch</c> stream of <c>/hubs/cluster</c>. The first item of a stream has
/// <see cref="Snapshot"/> true and upserts every object the cluster holds; each later item carries the
/// changes since the item before it, merged so that each object appears at most once (its last change).
/// </summary>
/// <remarks>
/// On the wire (JSON, camelCase, enums as camelCase strings):
/// <c>{ clusterId, version, cluster: {id, name, status, endpoint, engineVersion, apiVersion, error, lastSyncedAt},
/// snapshot, changes: [ { type: "upsert"|"delete", kind: "node"|"service"|…, id, resource: {…} | null } ] }</c>.
/// <see cref="Version"/> is the store's version of the cluster after the item's changes.
/// </remarks>
public sealed record ClusterWatchMessage(
    string ClusterId,
    long Version,
    ClusterInfo Cluster,
    bool Snapshot,
    IReadOnlyList<ClusterWatchChange> Changes)
{
    /// <summary>The whole state as upserts, the first item of every stream.</summary>
    public static ClusterWatchMessage FromSnapshot(ClusterState state) => new(
        state.Cluster.Id,
        state.Version,
        state.Cluster,
        Snapshot: true,
        Enum.GetValues<ResourceKind>()
            .SelectMany(state.All)
            .Select(resource => ClusterWatchChange.From(ResourceChange.Upsert(resource)))
            .ToList());
}

/// <summary>One object put into (upsert) or taken out of (delete, <see cref="Resource"/> null) the cluster's picture.</summary>
/// <remarks>
/// <see cref="Resource"/> is typed <see cref="object"/> so the serializer writes the record's runtime type
/// (a node, a service, …) with all its public fields, not the members of <see cref="IClusterResource"/>.
/// </remarks>
public sealed record ClusterWatchChange(ChangeType Type, ResourceKind Kind, string Id, object? Resource)
{
    public static ClusterWatchChange From(ResourceChange change) => new(change.Type, change.Kind, change.Id, change.Resource);
}
