using System.Runtime.CompilerServices;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Web.Hubs;

/// <summary>
/// A <c>Watch</c> stream: the snapshot, then the merged changes its cluster's shared feed gathers
/// (<see cref="ClusterWatchFeeds"/>).
/// </summary>
internal static class ClusterWatchStream
{
    public static async IAsyncEnumerable<ClusterWatchMessage> ReadAsync(
        ClusterWatchFeeds feeds,
        string clusterId,
        ClusterVisibility visibility,
        [EnumeratorCancellation] CancellationToken cancellationToken,
        int snapshotChunkSize = ClusterHub.SnapshotChunkSize)
    {
        // Joined before the snapshot is sent, so a slow snapshot does not lose what changes meanwhile.
        var reader = feeds.Join(clusterId, visibility);
        try
        {
            foreach (var chunk in ClusterWatchMessage.FromSnapshot(reader.Snapshot, snapshotChunkSize))
            {
                yield return chunk;
            }
            while (await reader.WaitAsync(cancellationToken))
            {
                if (reader.Take() is { } message)
                {
                    yield return message;
                }
            }
        }
        finally
        {
            // Runs when the client cancels the stream or disconnects; the last stream of a cluster ends its feed.
            await feeds.LeaveAsync(reader);
        }
    }
}

/// <summary>Merges change batches into one in which each object appears once, with its last change.</summary>
internal sealed class ChangeCoalescer
{
    private readonly Dictionary<(ResourceKind Kind, string Id), int> _positions = [];
    private readonly List<ResourceChange> _changes = [];
    private ChangeBatch? _last;

    public bool IsEmpty => _last is null;

    public void Add(IEnumerable<ChangeBatch> batches)
    {
        foreach (var batch in batches)
        {
            // The newest batch carries the cluster's state, status and version after all of them.
            _last = batch;
            foreach (var change in batch.Changes)
            {
                if (_positions.TryGetValue((change.Kind, change.Id), out var position))
                {
                    _changes[position] = change;
                }
                else
                {
                    _positions.Add((change.Kind, change.Id), _changes.Count);
                    _changes.Add(change);
                }
            }
        }
    }

    /// <summary>Everything gathered since the last call as one batch, or null when nothing arrived.</summary>
    public ChangeBatch? Take()
    {
        if (_last is null)
        {
            return null;
        }
        // A batch may change only the cluster's status; it is still passed on, with no changes.
        var merged = _last with { Changes = [.. _changes] };
        _changes.Clear();
        _positions.Clear();
        _last = null;
        return merged;
    }
}

/// <summary>
/// Keeps a stream to what its caller may see: objects outside their grants are never sent, and an
/// object that leaves their sight (say a service moved to another stack) is sent as a delete.
/// </summary>
internal sealed class VisibleChanges(ClusterVisibility visibility)
{
    // Touched only under the feed's lock (the snapshot as the stream joins, then each batch), so no lock of its own.
    private readonly HashSet<(ResourceKind Kind, string Id)> _sent = [];

    public ClusterState Snapshot(ClusterState state)
    {
        var visible = visibility.Apply(state);
        if (!visibility.SeesEverything)
        {
            foreach (var kind in Enum.GetValues<ResourceKind>())
            {
                _sent.UnionWith(visible.All(kind).Select(r => (kind, r.Id)));
            }
        }
        return visible;
    }

    public ChangeBatch Filter(ChangeBatch batch)
    {
        if (visibility.SeesEverything)
        {
            return batch;
        }
        var changes = new List<ResourceChange>();
        foreach (var change in batch.Changes)
        {
            var key = (change.Kind, change.Id);
            if (change.Type == ChangeType.Upsert && visibility.CanSee(change.Resource!, batch.State))
            {
                _sent.Add(key);
                changes.Add(change);
            }
            else if (_sent.Remove(key))
            {
                changes.Add(ResourceChange.Delete(change.Kind, change.Id));
            }
        }
        // The message's cluster is read from the batch's state: hide the connection details there too.
        return batch with { State = batch.State.WithCluster(visibility.Describe(batch.State.Cluster)), Changes = [.. changes] };
    }
}
