using ControlPlane.Core.Model;
using ControlPlane.Core.State;

namespace ControlPlane.Web.Hubs;

/// <summary>
/// One item of the <c>Watch</c> stream of <c>/hubs/cluster</c>. The stream opens with the whole snapshot as upserts,
/// in items of at most <see cref="ClusterHub.SnapshotChunkSize"/> objects each with <see cref="Snapshot"/> true, the
/// last of them with <see cref="SnapshotComplete"/> true; each later item carries the changes since the item before
/// it, merged so that each object appears at most once (its last change).
/// </summary>
/// <remarks>
/// On the wire (JSON, camelCase, enums as camelCase strings):
/// <c>{ clusterId, version, cluster: {id, name, status, endpoint, engineVersion, apiVersion, error, lastSyncedAt},
/// snapshot, snapshotComplete, changes: [ { type: "upsert"|"delete", kind: "node"|"service"|…, id, resource: {…} | null } ] }</c>.
/// <see cref="Version"/> is the store's version of the cluster after the item's changes (every snapshot item has the
/// snapshot's). Chunks keep one item, and what the server buffers to write it, small at 50,000 tasks (DESIGN §11).
/// </remarks>
public sealed record ClusterWatchMessage(
    string ClusterId,
    long Version,
    ClusterInfo Cluster,
    bool Snapshot,
    IReadOnlyList<ClusterWatchChange> Changes,
    bool SnapshotComplete = true)
{
    /// <summary>
    /// The whole state as upserts in items of at most <paramref name="chunkSize"/> objects; one item with no
    /// changes for an empty cluster. Built lazily, so the objects are not copied into one list first.
    /// </summary>
    public static IEnumerable<ClusterWatchMessage> FromSnapshot(ClusterState state, int chunkSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var chunk = new List<ClusterWatchChange>(Math.Min(chunkSize, 1024));
        foreach (var resource in Enum.GetValues<ResourceKind>().SelectMany(state.All))
        {
            if (chunk.Count == chunkSize)
            {
                yield return new(state.Cluster.Id, state.Version, state.Cluster, Snapshot: true, chunk, SnapshotComplete: false);
                chunk = new List<ClusterWatchChange>(chunkSize);
            }
            chunk.Add(ClusterWatchChange.From(ResourceChange.Upsert(resource)));
        }
        yield return new(state.Cluster.Id, state.Version, state.Cluster, Snapshot: true, chunk, SnapshotComplete: true);
    }
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
