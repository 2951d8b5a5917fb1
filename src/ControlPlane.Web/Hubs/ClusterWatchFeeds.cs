using System.Collections.Immutable;
using System.Threading.Channels;
using ControlPlane.Core.Channels;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Web.Hubs;

/// <summary>
/// One store subscription per cluster, shared by every <c>Watch</c> stream of that cluster in this process: the
/// changes are gathered and merged once per interval (<see cref="ClusterHub.MinMessageInterval"/>), and every stream
/// that sees the whole cluster is handed the same <see cref="ClusterWatchMessage"/> (whose changes are written to JSON
/// once, see <see cref="ClusterWatchChange"/>).
/// </summary>
/// <remarks>
/// With a subscription, a timer and a merge per stream, 50 streams at 1,000 changes/s did 50 times the work of one
/// (DESIGN §11). Now a stream that keeps up costs one reference per interval; only a slow stream, or one whose grants
/// reach part of the cluster, merges or filters on its own. A cluster's feed starts with its first stream and ends
/// with its last.
/// </remarks>
public sealed class ClusterWatchFeeds(ClusterStateStore store, TimeSpan interval, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Feed> _feeds = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts a stream of <paramref name="clusterId"/> for a caller who sees <paramref name="visibility"/>: its snapshot
    /// is the state the feed last sent, and every message the feed sends after it comes to it.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The store does not know the cluster.</exception>
    internal WatchReader Join(string clusterId, ClusterVisibility visibility)
    {
        lock (_lock)
        {
            if (!_feeds.TryGetValue(clusterId, out var feed))
            {
                feed = new Feed(clusterId, store.Subscribe(clusterId), interval, time);
                _feeds.Add(clusterId, feed);
            }
            return feed.Add(visibility);
        }
    }

    /// <summary>Ends a stream; the last one of a cluster stops its feed and releases the store subscription.</summary>
    internal async ValueTask LeaveAsync(WatchReader reader)
    {
        Feed? ended = null;
        lock (_lock)
        {
            if (reader.Feed.Remove(reader) && _feeds.GetValueOrDefault(reader.Feed.ClusterId) == reader.Feed)
            {
                _feeds.Remove(reader.Feed.ClusterId);
                ended = reader.Feed;
            }
        }
        if (ended is not null)
        {
            await ended.StopAsync();
        }
    }

    /// <summary>Open streams of a cluster in this process (diagnostics and tests).</summary>
    public int StreamCount(string clusterId)
    {
        lock (_lock)
        {
            return _feeds.GetValueOrDefault(clusterId)?.Count ?? 0;
        }
    }

    /// <summary>A cluster's store subscription, merged once per interval and handed to each of its streams.</summary>
    internal sealed class Feed
    {
        private readonly Lock _lock = new();
        private readonly ClusterSubscription _subscription;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _pump;
        private ImmutableArray<WatchReader> _readers = [];
        private (bool Ended, Exception? Failure) _end;
        // The state as of the last message sent: a stream that joins now starts from it and gets every message after.
        private ClusterState _sent;

        public Feed(string clusterId, ClusterSubscription subscription, TimeSpan interval, TimeProvider time)
        {
            ClusterId = clusterId;
            _subscription = subscription;
            _sent = subscription.Snapshot;
            _pump = PumpAsync(interval, time);
        }

        public string ClusterId { get; }

        public int Count => _readers.Length;

        public WatchReader Add(ClusterVisibility visibility)
        {
            lock (_lock)
            {
                var reader = new WatchReader(this, visibility, _sent);
                _readers = _readers.Add(reader);
                if (_end.Ended)
                {
                    reader.Complete(_end.Failure);
                }
                return reader;
            }
        }

        /// <summary>Removes a stream; true when it was the last.</summary>
        public bool Remove(WatchReader reader)
        {
            lock (_lock)
            {
                _readers = _readers.Remove(reader);
                return _readers.IsEmpty;
            }
        }

        public async Task StopAsync()
        {
            await _stop.CancelAsync();
            await _pump;
            _subscription.Dispose();
            _stop.Dispose();
        }

        private async Task PumpAsync(TimeSpan interval, TimeProvider time)
        {
            // Off the joining caller's thread: it holds the feeds' lock.
            await Task.Yield();
            Exception? failure = null;
            try
            {
                var merged = new ChangeCoalescer();
                await foreach (var batches in _subscription.Batches.GetBatchesAsync(interval, time, _stop.Token))
                {
                    merged.Add(batches);
                    var batch = merged.Take()!;
                    var message = ClusterWatchMessage.FromBatch(batch);
                    lock (_lock)
                    {
                        // Under the lock that joins take, so a stream gets a message exactly when its snapshot predates it.
                        _sent = batch.State;
                        foreach (var reader in _readers)
                        {
                            reader.Offer(batch, message);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            lock (_lock)
            {
                _end = (true, failure);
                foreach (var reader in _readers)
                {
                    reader.Complete(failure);
                }
            }
        }
    }
}

/// <summary>
/// One <c>Watch</c> stream's side of a feed: its snapshot, and what gathered for it since it last sent. SignalR asks
/// for the next item only once the previous one is written to the client, so what waits for a slow client is merged
/// here, bounded by the number of objects in the cluster rather than the number of changes, and it catches up in one
/// message.
/// </summary>
internal sealed class WatchReader
{
    private readonly Lock _lock = new();
    private readonly VisibleChanges _filter;
    private readonly ChangeCoalescer _behind = new();
    // A doorbell rather than a queue: one ring means "something gathered", however many messages arrived.
    private readonly Channel<bool> _ready = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
        SingleWriter = false,
    });
    // The one message gathered while the client keeps up: sent as the feed built it, shared with every other stream.
    private (ChangeBatch Batch, ClusterWatchMessage Message)? _next;

    public WatchReader(ClusterWatchFeeds.Feed feed, ClusterVisibility visibility, ClusterState sent)
    {
        Feed = feed;
        _filter = new VisibleChanges(visibility);
        Snapshot = _filter.Snapshot(sent);
    }

    internal ClusterWatchFeeds.Feed Feed { get; }

    /// <summary>What the caller may see of the state the stream starts from.</summary>
    public ClusterState Snapshot { get; }

    /// <summary>Called by the feed, one message at a time, in order.</summary>
    public void Offer(ChangeBatch batch, ClusterWatchMessage message)
    {
        var visible = _filter.Filter(batch);
        lock (_lock)
        {
            if (_next is null && _behind.IsEmpty && ReferenceEquals(visible, batch))
            {
                _next = (batch, message);
            }
            else
            {
                if (_next is not null)
                {
                    _behind.Add([_next.Value.Batch]);
                    _next = null;
                }
                _behind.Add([visible]);
            }
        }
        _ready.Writer.TryWrite(true);
    }

    public void Complete(Exception? failure) => _ready.Writer.TryComplete(failure);

    /// <summary>Waits until something gathered; false once the feed ended.</summary>
    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => _ready.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Everything gathered since the last call as one message, or null when nothing did.</summary>
    public ClusterWatchMessage? Take()
    {
        _ready.Reader.TryRead(out _);
        lock (_lock)
        {
            if (_next is { } next)
            {
                _next = null;
                return next.Message;
            }
            return _behind.Take() is { } merged ? ClusterWatchMessage.FromBatch(merged) : null;
        }
    }
}
