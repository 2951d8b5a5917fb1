using ControlPlane.Core.Model;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
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
    /// <summary>The changes of a (merged) batch, with the cluster and version after them.</summary>
    public static ClusterWatchMessage FromBatch(ChangeBatch batch) =>
        new(batch.ClusterId, batch.Version, batch.Cluster, Snapshot: false, [.. batch.Changes.Select(ClusterWatchChange.From)]);

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
/// An upsert of one resource object is one shared instance (<see cref="From"/>), written to JSON once whatever the
/// number of streams that send it (<see cref="ClusterWatchChangeConverter"/>): with 50 subscribers every change and
/// every snapshot object would otherwise be serialized 50 times (DESIGN §11).
/// </remarks>
[JsonConverter(typeof(ClusterWatchChangeConverter))]
public sealed record ClusterWatchChange(ChangeType Type, ResourceKind Kind, string Id, object? Resource)
{
    // Keyed by the resource object, which is immutable and shared by every state holding it: the entry lives as long as it does.
    private static readonly ConditionalWeakTable<IClusterResource, ClusterWatchChange> Upserts = [];

    public static ClusterWatchChange From(ResourceChange change) =>
        change is { Type: ChangeType.Upsert, Resource: { } resource }
            ? Upserts.GetValue(resource, r => new(ChangeType.Upsert, r.Kind, r.Id, r))
            : new(change.Type, change.Kind, change.Id, change.Resource);
}

/// <summary>
/// Writes a <see cref="ClusterWatchChange"/> as <c>{ type, kind, id, resource }</c>, keeping the JSON of each
/// instance for the serializer options it was written with, so a change shared by many streams is serialized once.
/// </summary>
internal sealed class ClusterWatchChangeConverter : JsonConverter<ClusterWatchChange>
{
    private static readonly ConditionalWeakTable<ClusterWatchChange, Written> Cache = [];

    public override ClusterWatchChange Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var wire = JsonSerializer.Deserialize<Wire>(ref reader, options) ?? throw new JsonException("A change cannot be null.");
        return new ClusterWatchChange(wire.Type, wire.Kind, wire.Id, wire.Resource);
    }

    public override void Write(Utf8JsonWriter writer, ClusterWatchChange value, JsonSerializerOptions options)
    {
        if (!Cache.TryGetValue(value, out var written) || !ReferenceEquals(written.Options, options))
        {
            written = new Written(options, JsonSerializer.SerializeToUtf8Bytes(new Wire(value.Type, value.Kind, value.Id, value.Resource), options));
            Cache.AddOrUpdate(value, written);
        }
        writer.WriteRawValue(written.Json, skipInputValidation: true);
    }

    /// <summary>The shape on the wire: the record's own properties, named and written by the caller's options.</summary>
    private sealed record Wire(ChangeType Type, ResourceKind Kind, string Id, object? Resource);

    private sealed record Written(JsonSerializerOptions Options, byte[] Json);
}
