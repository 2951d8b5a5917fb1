using System.Collections.Immutable;
using System.Threading.Channels;
using ControlPlane.Core.Model;

namespace ControlPlane.Core.State;

/// <summary>
/// Holds one immutable state per cluster and hands every change to every subscriber, in order.
/// Writers are the cluster watchers; readers are pages, the API and the hub.
/// </summary>
public sealed class ClusterStateStore
{
    private readonly object _lock = new();
    private readonly Dictionary<string, ClusterEntry> _clusters = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>The clusters in registration order, with their current status.</summary>
    public IReadOnlyList<ClusterInfo> Clusters
    {
        get
        {
            lock (_lock)
            {
                return _order.Select(id => _clusters[id].State.Cluster).ToList();
            }
        }
    }

    /// <summary>Adds a cluster with an empty state; a no-op when it is known already.</summary>
    public void Register(ClusterInfo cluster)
    {
        lock (_lock)
        {
            if (_clusters.TryAdd(cluster.Id, new ClusterEntry(ClusterState.Empty(cluster))))
            {
                _order.Add(cluster.Id);
            }
        }
    }

    public ClusterState? GetState(string clusterId)
    {
        lock (_lock)
        {
            return _clusters.TryGetValue(clusterId, out var entry) ? entry.State : null;
        }
    }

    /// <summary>A node id to its hostname in the cluster's picture at the time of asking (the id when unknown, "(unassigned)" for none), for operations' steps.</summary>
    public Func<string?, string> Hostnames(string clusterId) => id =>
        id is null ? "(unassigned)" : GetState(clusterId)?.Nodes.FirstOrDefault(n => n.Id == id)?.Hostname ?? id;

    /// <summary>Applies changes (and optionally new cluster info) and publishes the effective batch, if any.</summary>
    public ChangeBatch? Apply(string clusterId, IEnumerable<ResourceChange> changes, ClusterInfo? cluster = null)
    {
        lock (_lock)
        {
            var entry = GetEntry(clusterId);
            var (state, effective) = entry.State.Apply(changes, cluster);
            if (ReferenceEquals(state, entry.State))
            {
                return null;
            }
            entry.State = state;
            var batch = new ChangeBatch(state, effective);
            foreach (var subscriber in entry.Subscribers)
            {
                // Unbounded: never blocks the writer; a reader that falls behind coalesces on its side.
                subscriber.Writer.TryWrite(batch);
            }
            return batch;
        }
    }

    /// <summary>Changes only the cluster's status fields.</summary>
    public ChangeBatch? SetCluster(string clusterId, Func<ClusterInfo, ClusterInfo> update)
    {
        lock (_lock)
        {
            var entry = GetEntry(clusterId);
            return Apply(clusterId, [], update(entry.State.Cluster));
        }
    }

    /// <summary>
    /// Starts following a cluster. The subscriber is registered before the snapshot is taken, under the
    /// same lock as writers, so the first batch read is exactly the one after the snapshot.
    /// </summary>
    public ClusterSubscription Subscribe(string clusterId)
    {
        var channel = Channel.CreateUnbounded<ChangeBatch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        lock (_lock)
        {
            var entry = GetEntry(clusterId);
            entry.Subscribers = entry.Subscribers.Add(channel);
            return new ClusterSubscription(entry.State, channel.Reader, () => Unsubscribe(clusterId, channel));
        }
    }

    /// <summary>How many subscriptions are open on a cluster (for diagnostics and tests).</summary>
    public int SubscriberCount(string clusterId)
    {
        lock (_lock)
        {
            return _clusters.TryGetValue(clusterId, out var entry) ? entry.Subscribers.Count : 0;
        }
    }

    private void Unsubscribe(string clusterId, Channel<ChangeBatch> channel)
    {
        lock (_lock)
        {
            if (_clusters.TryGetValue(clusterId, out var entry))
            {
                entry.Subscribers = entry.Subscribers.Remove(channel);
            }
        }
        channel.Writer.TryComplete();
    }

    private ClusterEntry GetEntry(string clusterId) =>
        _clusters.TryGetValue(clusterId, out var entry)
            ? entry
            : throw new KeyNotFoundException($"Unknown cluster '{clusterId}'.");

    private sealed class ClusterEntry(ClusterState state)
    {
        public ClusterState State { get; set; } = state;

        public ImmutableList<Channel<ChangeBatch>> Subscribers { get; set; } = [];
    }
}

/// <summary>A snapshot plus every batch after it, until disposed.</summary>
public sealed class ClusterSubscription : IDisposable
{
    private readonly Action _unsubscribe;
    private int _disposed;

    internal ClusterSubscription(ClusterState snapshot, ChannelReader<ChangeBatch> batches, Action unsubscribe)
    {
        Snapshot = snapshot;
        Batches = batches;
        _unsubscribe = unsubscribe;
    }

    public ClusterState Snapshot { get; }

    public ChannelReader<ChangeBatch> Batches { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _unsubscribe();
        }
    }
}
