using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ControlPlane.Core.Channels;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Web.Hubs;

/// <summary>
/// Turns a store subscription into <see cref="ClusterWatchMessage"/>s: the snapshot, then merged changes.
/// </summary>
/// <remarks>
/// SignalR asks for the next item only once the previous one is written to the client, so a slow client
/// would leave batches piling up in the subscription's unbounded channel. Instead a pump drains the
/// subscription all the time (grouped at most ten times a second by <c>GetBatchesAsync</c>) into a
/// <see cref="ChangeCoalescer"/>, and each item the client is ready for takes whatever has gathered. What
/// waits for a slow client is then bounded by the number of objects in the cluster, not by the number of
/// changes, and the client catches up in one message.
/// </remarks>
internal static class ClusterWatchStream
{
    public static async IAsyncEnumerable<ClusterWatchMessage> ReadAsync(
        ClusterStateStore store,
        string clusterId,
        ClusterVisibility visibility,
        TimeSpan minInterval,
        TimeProvider time,
        [EnumeratorCancellation] CancellationToken cancellationToken,
        int snapshotChunkSize = ClusterHub.SnapshotChunkSize)
    {
        using var subscription = store.Subscribe(clusterId);
        var filter = new VisibleChanges(visibility);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = new ChangeCoalescer();
        // A doorbell rather than a queue: one ring means "something gathered", however many batches arrived.
        var ready = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropWrite,
            SingleReader = true,
            SingleWriter = true,
        });
        // Started before the snapshot is sent, so a slow snapshot does not leave batches piling up either.
        var snapshot = filter.Snapshot(subscription.Snapshot);
        var pump = PumpAsync(subscription, filter, pending, ready.Writer, minInterval, time, stop.Token);
        try
        {
            foreach (var chunk in ClusterWatchMessage.FromSnapshot(snapshot, snapshotChunkSize))
            {
                yield return chunk;
            }
            while (await ready.Reader.WaitToReadAsync(stop.Token))
            {
                ready.Reader.TryRead(out _);
                if (pending.Take() is { } message)
                {
                    yield return message;
                }
            }
        }
        finally
        {
            // Runs when the client cancels the stream or disconnects: stop the pump, then drop the subscription.
            await stop.CancelAsync();
            await pump;
        }
    }

    private static async Task PumpAsync(
        ClusterSubscription subscription,
        VisibleChanges filter,
        ChangeCoalescer pending,
        ChannelWriter<bool> ready,
        TimeSpan minInterval,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var batches in subscription.Batches.GetBatchesAsync(minInterval, time, cancellationToken))
            {
                pending.Add(batches.Select(filter.Filter));
                ready.TryWrite(true);
            }
            ready.TryComplete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            ready.TryComplete();
        }
        catch (Exception ex)
        {
            ready.TryComplete(ex);
        }
    }
}

/// <summary>Merges change batches into one message in which each object appears once, with its last change.</summary>
internal sealed class ChangeCoalescer
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(ResourceKind Kind, string Id), int> _positions = [];
    private readonly List<ClusterWatchChange> _changes = [];
    private ChangeBatch? _last;

    public void Add(IEnumerable<ChangeBatch> batches)
    {
        lock (_lock)
        {
            foreach (var batch in batches)
            {
                // The newest batch carries the cluster's status and version after all of them.
                _last = batch;
                foreach (var change in batch.Changes)
                {
                    var merged = ClusterWatchChange.From(change);
                    if (_positions.TryGetValue((change.Kind, change.Id), out var position))
                    {
                        _changes[position] = merged;
                    }
                    else
                    {
                        _positions.Add((change.Kind, change.Id), _changes.Count);
                        _changes.Add(merged);
                    }
                }
            }
        }
    }

    /// <summary>Everything gathered since the last call as one message, or null when nothing arrived.</summary>
    public ClusterWatchMessage? Take()
    {
        lock (_lock)
        {
            if (_last is null)
            {
                return null;
            }
            // A batch may change only the cluster's status; it is still sent, with no changes.
            var message = new ClusterWatchMessage(_last.ClusterId, _last.Version, _last.Cluster, Snapshot: false, _changes.ToArray());
            _changes.Clear();
            _positions.Clear();
            _last = null;
            return message;
        }
    }
}

/// <summary>
/// Keeps a stream to what its caller may see: objects outside their grants are never sent, and an
/// object that leaves their sight (say a service moved to another stack) is sent as a delete.
/// </summary>
internal sealed class VisibleChanges(ClusterVisibility visibility)
{
    // Touched only by the pump after the snapshot, so no lock.
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
