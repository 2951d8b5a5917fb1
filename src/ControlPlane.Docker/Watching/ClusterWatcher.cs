using System.Globalization;
using System.Text.RegularExpressions;
using System.Threading.Channels;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Core.Telemetry;
using ControlPlane.Docker.Connection;
using Docker.DotNet;
using Docker.DotNet.Models;
using ClusterInfo = ControlPlane.Core.Model.ClusterInfo;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Docker.Watching;

/// <summary>
/// Keeps the store's picture of one cluster true: list everything, then follow <c>/events</c> from the
/// engine time taken before the list, inspect what each event names, and list tasks (which have no
/// events) often for services in motion. Every <see cref="WatcherTimings.SlowReconcile"/> it relists all but
/// tasks, services with their task counts, and puts the services whose counts moved in motion; every
/// <see cref="WatcherTimings.FullResync"/> it lists every task too. So the Engine API requests a quiet cluster
/// costs do not grow with its tasks. After a broken stream it reconnects with backoff and relists; the store
/// publishes only what differs.
/// </summary>
public sealed partial class ClusterWatcher
{
    private readonly ClusterConnection _connection;
    private readonly ClusterStateStore _store;
    private readonly WatcherTimings _timings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Dictionary<string, long> _hotUntil = new(StringComparer.Ordinal);

    /// <summary>Each service's task counts as the last service listing gave them; touched only by the sync and reconcile loop.</summary>
    private readonly Dictionary<string, ServiceStatus> _lastStatus = new(StringComparer.Ordinal);

    public ClusterWatcher(ClusterConnection connection, ClusterStateStore store, WatcherTimings timings, TimeProvider time, ILogger<ClusterWatcher> logger)
    {
        _connection = connection;
        _store = store;
        _timings = timings;
        _time = time;
        _logger = logger;
        // The one place a cluster enters the store: the host builds its watchers as it starts, before any request.
        _store.Register(ClusterInfo.Initial(ClusterId, connection.Cluster.Name));
    }

    public string ClusterId => _connection.Cluster.Id;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = _timings.MinBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            var synced = false;
            try
            {
                await SyncAndFollowAsync(() => synced = true, cancellationToken);
                throw new IOException("the engine closed the event stream");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                var reason = ClusterConnection.Describe(ex);
                var unreachable = ex is ClusterUnreachableException;
                _logger.LogWarning("Cluster {Cluster}: {Reason}; reconnecting", _connection.Cluster.Name, reason);
                _store.SetCluster(ClusterId, c => c with
                {
                    // Never blank: the last picture stays, marked as such.
                    Status = unreachable ? ClusterStatus.Unreachable : ClusterStatus.Degraded,
                    Error = reason,
                });
                if (!unreachable)
                {
                    _connection.MoveToNextEndpoint();
                }
            }

            backoff = synced ? _timings.MinBackoff : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _timings.MaxBackoff.Ticks));
            try
            {
                await Task.Delay(synced ? _timings.MinBackoff : backoff, _time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SyncAndFollowAsync(Action onSynced, CancellationToken cancellationToken)
    {
        var engine = await _connection.ConnectAsync(cancellationToken);
        var since = EngineTimeToUnix(engine.SystemTime);

        _lastStatus.Clear();
        var listing = await ListEverythingAsync(engine, withTasks: true, cancellationToken);
        var state = _store.GetState(ClusterId)!;
        var changes = new List<ResourceChange>();
        foreach (var (kind, resources) in listing)
        {
            changes.AddRange(state.ChangesToMatch(kind, resources));
        }
        _store.Apply(ClusterId, changes, state.Cluster with
        {
            Status = ClusterStatus.Synced,
            Endpoint = engine.Endpoint.Uri.ToString(),
            EngineVersion = engine.EngineVersion,
            ApiVersion = engine.ApiVersion,
            Error = null,
            LastSyncedAt = _time.GetUtcNow(),
        });
        onSynced();

        using var streamScope = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var events = Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleReader = true });
        var stream = FollowEventsAsync(engine, since, events.Writer, streamScope.Token);
        var reconcile = ReconcileLoopAsync(engine, streamScope.Token);
        try
        {
            var first = await Task.WhenAny(ProcessEventsAsync(engine, events.Reader, streamScope.Token), reconcile);
            await first; // rethrows what ended the loop
        }
        finally
        {
            streamScope.Cancel();
            await Task.WhenAll(stream, reconcile).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private async Task FollowEventsAsync(ConnectedEngine engine, string since, ChannelWriter<Message> writer, CancellationToken cancellationToken)
    {
        try
        {
            var parameters = new ContainerEventsParameters { Since = since };
            // Progress<T> would post to the thread pool and reorder events; write synchronously instead.
            await _connection.CallAsync(engine.Client, c => c.System.MonitorEventsAsync(parameters, new SynchronousProgress<Message>(m => writer.TryWrite(m)), cancellationToken));
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
        }
    }

    /// <summary>
    /// Applies events in batches: whatever arrived while the previous batch was being fetched is taken at once,
    /// each object it names is fetched once (services by one filtered listing per <see cref="IdsPerRequest"/>
    /// ids rather than an inspect per event), and the whole batch goes to the store as one change. At 1,000
    /// events a second one round trip per event cannot keep up (DESIGN §11); the batch grows with the load
    /// instead, and a quiet cluster still sees each event applied as soon as it is fetched.
    /// </summary>
    private async Task ProcessEventsAsync(ConnectedEngine engine, ChannelReader<Message> reader, CancellationToken cancellationToken)
    {
        // Bounded so one batch's events never exceed what the store keeps, and a filter stays a short URL.
        var maxBatch = Math.Clamp(_timings.EventsKept, 1, MaxEventsPerBatch);
        var messages = new List<Message>(maxBatch);
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            messages.Clear();
            while (messages.Count < maxBatch && reader.TryRead(out var message))
            {
                messages.Add(message);
            }
            var changes = new List<ResourceChange>(await ChangesForAsync(engine, messages, cancellationToken));
            changes.AddRange(PruneEvents(_store.GetState(ClusterId)!, messages.Count));
            changes.AddRange(messages.Select(m => ResourceChange.Upsert(DockerModelMapper.ToEvent(m))));
            _store.Apply(ClusterId, changes);
            var now = _time.GetUtcNow();
            foreach (var message in messages)
            {
                if (message.TimeNano is > 0 and var nanos)
                {
                    // Engine clock to ours: on one host (or NTP-synced ones) this is the picture's delay behind the cluster.
                    ControlPlaneTelemetry.EventApplied(ClusterId, (now - DateTimeOffset.UnixEpoch.AddTicks(nanos / 100)).TotalSeconds);
                }
            }
        }
    }

    /// <summary>Most events one batch takes from the stream.</summary>
    internal const int MaxEventsPerBatch = 500;

    /// <summary>Ids per filtered listing: a hundred ids make a query of about 4 kB, well within what servers accept.</summary>
    internal const int IdsPerRequest = 100;

    /// <summary>Inspects running at once for the kinds that have no filtered listing worth using.</summary>
    private const int ParallelInspects = 8;

    /// <summary>
    /// What a batch of events changes: each object named is deleted if its last event removed it, otherwise
    /// fetched once as it is now (a later state covers every earlier event about it).
    /// </summary>
    private async Task<IReadOnlyList<ResourceChange>> ChangesForAsync(ConnectedEngine engine, IReadOnlyList<Message> messages, CancellationToken ct)
    {
        var changes = new List<ResourceChange>();
        // Per object its last event that needs fetching or deleting, in first-seen order.
        var last = new Dictionary<(ResourceKind Kind, string Id), bool>();
        var imagesChanged = false;
        foreach (var message in messages)
        {
            var id = message.Actor?.ID;
            if (string.IsNullOrEmpty(id))
            {
                continue;
            }
            var removed = message.Action is "remove" or "destroy" or "delete";
            switch (message.Type)
            {
                case "service":
                    // Marked hot once fetched, if what changed can move its tasks (see FetchServicesAsync).
                    break;
                case "node":
                    // A node going down or drained moves its tasks, which send no event: list them soon.
                    foreach (var task in _store.GetState(ClusterId)!.TasksOn(id))
                    {
                        MarkHot(task.ServiceId);
                    }
                    break;
                case "network" when message.Action is "connect" or "disconnect":
                    continue;
                case "image":
                    imagesChanged = true;
                    continue;
                case "container":
                    if (message.Actor?.Attributes is { } attributes && attributes.TryGetValue("com.docker.swarm.service.id", out var serviceId))
                    {
                        MarkHot(serviceId);
                    }
                    if (message.Action is "exec_create" or "exec_start" or "exec_die" or "attach" or "resize" or "top" or "export" or "copy" or "archive-path" or "extract-to-dir")
                    {
                        continue;
                    }
                    removed = message.Action is "destroy";
                    break;
            }
            if (KindOf(message.Type) is { } kind)
            {
                last[(kind, id)] = removed;
            }
        }

        var state = _store.GetState(ClusterId)!;
        foreach (var ((kind, id), removed) in last)
        {
            if (removed)
            {
                changes.Add(ResourceChange.Delete(kind, id));
                if (kind == ResourceKind.Service)
                {
                    changes.AddRange(state.TasksOf(id).Select(t => ResourceChange.Delete(ResourceKind.Task, t.Id)));
                }
            }
        }
        var fetch = last.Where(l => !l.Value).Select(l => l.Key).ToList();
        changes.AddRange(await FetchServicesAsync(engine, fetch.Where(k => k.Kind == ResourceKind.Service).Select(k => k.Id).ToList(), ct));
        var inspected = new IReadOnlyList<ResourceChange>[fetch.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, fetch.Count).Where(i => fetch[i].Kind != ResourceKind.Service),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelInspects, CancellationToken = ct },
            async (i, token) => inspected[i] = await InspectAsync(engine, fetch[i].Kind, fetch[i].Id, token));
        changes.AddRange(inspected.Where(c => c is not null).SelectMany(c => c));
        if (imagesChanged)
        {
            var images = await _connection.CallAsync(engine.Client, c => c.Images.ListImagesAsync(new ImagesListParameters(), ct));
            changes.AddRange(state.ChangesToMatch(ResourceKind.Image,
                images.Select(i => DockerModelMapper.ToImage(i, engine.NodeId)).ToList(), i => ((ClusterImage)i).NodeId == engine.NodeId));
        }
        return changes;
    }

    /// <summary>
    /// The services named, as they are now, by listings filtered on their ids: one request per
    /// <see cref="IdsPerRequest"/> services instead of one per event. A service the listing leaves out is gone.
    /// </summary>
    private async Task<IReadOnlyList<ResourceChange>> FetchServicesAsync(ConnectedEngine engine, IReadOnlyList<string> ids, CancellationToken ct)
    {
        var changes = new List<ResourceChange>(ids.Count);
        foreach (var chunk in ids.Chunk(IdsPerRequest))
        {
            var parameters = new ServiceListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["id"] = chunk.ToDictionary(id => id, _ => true) },
            };
            var listed = await _connection.CallAsync(engine.Client, c => c.Swarm.ListServicesAsync(parameters, ct));
            // The id filter matches prefixes too; keep exactly the services asked for.
            var found = listed.Where(s => s.ID is not null).ToDictionary(s => s.ID, StringComparer.Ordinal);
            var state = _store.GetState(ClusterId)!;
            foreach (var id in chunk)
            {
                if (!found.TryGetValue(id, out var listedService))
                {
                    // Gone between the event and the listing: a later event (or the relist) says so, but we know now.
                    changes.Add(ResourceChange.Delete(ResourceKind.Service, id));
                    continue;
                }
                var service = DockerModelMapper.ToService(listedService);
                if (MayMoveTasks(state.Get<ClusterService>(ResourceKind.Service, id), service))
                {
                    MarkHot(id);
                }
                changes.Add(ResourceChange.Upsert(service));
            }
        }
        return changes;
    }

    /// <summary>
    /// False only when a service's labels (its stack among them) are all that changed: that moves no task, and at
    /// 1,000 label edits a second putting each service on the fast path would relist every task each second. Any
    /// other change, a new service or a rolling update starting, does; so does a template change this
    /// picture cannot show, once Docker marks the service updating (another event).
    /// </summary>
    public static bool MayMoveTasks(ClusterService? held, ClusterService fetched) =>
        held is null
        || fetched with
        {
            Labels = held.Labels,
            Stack = held.Stack,
            UpdatedAt = held.UpdatedAt,
            ObjectVersion = held.ObjectVersion,
            ReplicasRunning = held.ReplicasRunning,
        } != held;

    private async Task<IReadOnlyList<ResourceChange>> InspectAsync(ConnectedEngine engine, ResourceKind kind, string id, CancellationToken ct)
    {
        var client = engine.Client;
        try
        {
            return kind switch
            {
                ResourceKind.Node => [ResourceChange.Upsert(DockerModelMapper.ToNode(await _connection.CallAsync(client, c => c.Swarm.InspectNodeAsync(id, ct))))],
                ResourceKind.Secret => [ResourceChange.Upsert(DockerModelMapper.ToSecret(await _connection.CallAsync(client, c => c.Secrets.InspectAsync(id, ct))))],
                ResourceKind.Config => [ResourceChange.Upsert(DockerModelMapper.ToConfig(await _connection.CallAsync(client, c => c.Configs.InspectConfigAsync(id, ct))))],
                ResourceKind.Network => [ResourceChange.Upsert(DockerModelMapper.ToNetwork(await _connection.CallAsync(client, c => c.Networks.InspectNetworkAsync(id, ct))))],
                ResourceKind.Container => [ResourceChange.Upsert(DockerModelMapper.ToContainer(await _connection.CallAsync(client, c => c.Containers.InspectContainerAsync(id, ct)), engine.NodeId))],
                _ => [],
            };
        }
        catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            // Gone between the event and the inspect: a later event (or the relist) says so, but we know now.
            return [ResourceChange.Delete(kind, id)];
        }
    }

    /// <summary>Keeps the most recent events only; pruned in chunks so the sort is rare.</summary>
    private IEnumerable<ResourceChange> PruneEvents(ClusterState state, int adding)
    {
        var excess = state.Count(ResourceKind.Event) + adding - _timings.EventsKept;
        if (excess <= 0)
        {
            return [];
        }
        var chunk = Math.Max(excess, _timings.EventsKept / 10);
        return state.All(ResourceKind.Event).Select(e => e.Id).Order(StringComparer.Ordinal).Take(chunk)
            .Select(id => ResourceChange.Delete(ResourceKind.Event, id)).ToList();
    }

    private async Task ReconcileLoopAsync(ConnectedEngine engine, CancellationToken cancellationToken)
    {
        var lastFull = _time.GetTimestamp();
        var lastSlow = lastFull;
        while (true)
        {
            await Task.Delay(_timings.FastReconcile, _time, cancellationToken);
            var full = _time.GetElapsedTime(lastFull) >= _timings.FullResync;
            if (full || _time.GetElapsedTime(lastSlow) >= _timings.SlowReconcile)
            {
                lastSlow = _time.GetTimestamp();
                lastFull = full ? lastSlow : lastFull;
                var listing = await ListEverythingAsync(engine, withTasks: full, cancellationToken);
                var state = _store.GetState(ClusterId)!;
                _store.Apply(ClusterId, listing.SelectMany(l => state.ChangesToMatch(l.Kind, l.Resources)).ToList(),
                    state.Cluster with { LastSyncedAt = _time.GetUtcNow() });
                if (full)
                {
                    continue;
                }
            }

            var hot = HotServices(_store.GetState(ClusterId)!);
            if (hot.Count == 0)
            {
                continue;
            }
            IReadOnlyList<IClusterResource> tasks;
            try
            {
                tasks = await ListTasksAsync(engine, hot, cancellationToken);
            }
            catch (DockerApiException ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // One of the services was removed since the snapshot; its remove event is on its way. Skip this round.
                continue;
            }
            _store.Apply(ClusterId, _store.GetState(ClusterId)!.ChangesToMatchTasks(hot, tasks));
        }
    }

    /// <summary>Services whose tasks are likely to move: updating, not converged, or named by a recent event.</summary>
    private HashSet<string> HotServices(ClusterState state)
    {
        var now = _time.GetTimestamp();
        HashSet<string> hot;
        lock (_hotUntil)
        {
            foreach (var expired in _hotUntil.Where(kv => kv.Value < now).Select(kv => kv.Key).ToList())
            {
                _hotUntil.Remove(expired);
            }
            hot = new HashSet<string>(_hotUntil.Keys, StringComparer.Ordinal);
        }
        hot.RemoveWhere(id => state.Get<ClusterService>(ResourceKind.Service, id) is null);
        foreach (var service in state.Services)
        {
            if (service.IsUpdating || !service.IsConverged)
            {
                hot.Add(service.Id);
            }
        }
        return hot;
    }

    private void MarkHot(string serviceId)
    {
        var until = _time.GetTimestamp() + (long)(_timings.HotAfterEvent.TotalSeconds * _time.TimestampFrequency);
        lock (_hotUntil)
        {
            _hotUntil[serviceId] = until;
        }
    }

    /// <summary>
    /// Lists every kind, tasks only when <paramref name="withTasks"/> (or when the engine gave no service
    /// counts to tell which services' tasks moved); marks hot the services whose counts say their tasks moved.
    /// </summary>
    private async Task<IReadOnlyList<(ResourceKind Kind, IReadOnlyList<IClusterResource> Resources)>> ListEverythingAsync(
        ConnectedEngine engine, bool withTasks, CancellationToken ct)
    {
        var client = engine.Client;
        var nodes = await _connection.CallAsync(client, c => c.Swarm.ListNodesAsync(ct));
        // status=true (API 1.41) adds each service's running and desired task counts, computed by the manager.
        var services = await _connection.CallAsync(client, c => c.Swarm.ListServicesAsync(new ServiceListParameters { Status = true }, ct));
        var serviceNames = services.ToDictionary(s => s.ID, s => s.Spec?.Name ?? s.ID, StringComparer.Ordinal);
        withTasks |= !NoteTaskCounts(services);
        var tasks = withTasks ? await _connection.CallAsync(client, c => c.Tasks.ListAsync(new TasksListParameters(), ct)) : null;
        var containers = await _connection.CallAsync(client, c => c.Containers.ListContainersAsync(new ContainersListParameters { All = true }, ct));
        var images = await _connection.CallAsync(client, c => c.Images.ListImagesAsync(new ImagesListParameters(), ct));
        // Everything is relisted, metadata too: some changes come with no event at all (the ingress network
        // is rewritten after a manager restarts, for one), and the safety net must catch those.
        var secrets = await _connection.CallAsync(client, c => c.Secrets.ListAsync(ct));
        var configs = await _connection.CallAsync(client, c => c.Configs.ListConfigsAsync(ct));
        var networks = await _connection.CallAsync(client, c => c.Networks.ListNetworksAsync(new NetworksListParameters(), ct));

        return
        [
            (ResourceKind.Node, nodes.Select(DockerModelMapper.ToNode).ToList()),
            (ResourceKind.Service, services.Select(DockerModelMapper.ToService).ToList()),
            .. tasks is null ? [] : new[] { (ResourceKind.Task, (IReadOnlyList<IClusterResource>)tasks.Select(t => DockerModelMapper.ToTask(t, serviceNames)).ToList()) },
            (ResourceKind.Container, containers.Select(c => DockerModelMapper.ToContainer(c, engine.NodeId)).ToList()),
            (ResourceKind.Image, images.Select(i => DockerModelMapper.ToImage(i, engine.NodeId)).ToList()),
            (ResourceKind.Secret, secrets.Select(DockerModelMapper.ToSecret).ToList()),
            (ResourceKind.Config, configs.Select(DockerModelMapper.ToConfig).ToList()),
            (ResourceKind.Network, networks.Select(DockerModelMapper.ToNetwork).ToList()),
        ];
    }

    /// <summary>
    /// Marks hot each listed service whose task counts moved since the last listing or disagree with its tasks
    /// in the store; false when the engine gave no counts (an API before 1.41), and tasks must be listed instead.
    /// </summary>
    private bool NoteTaskCounts(IList<SwarmService> services)
    {
        if (services.Any(s => s.ServiceStatus is null))
        {
            return false;
        }
        var state = _store.GetState(ClusterId)!;
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var service in services)
        {
            listed.Add(service.ID);
            var status = service.ServiceStatus!;
            var moved = _lastStatus.TryGetValue(service.ID, out var last)
                && (last.RunningTasks != status.RunningTasks || last.DesiredTasks != status.DesiredTasks || last.CompletedTasks != status.CompletedTasks);
            var disagrees = state.Get<ClusterService>(ResourceKind.Service, service.ID) is { } held && (ulong)held.ReplicasRunning != status.RunningTasks;
            if (moved || disagrees)
            {
                MarkHot(service.ID);
            }
            _lastStatus[service.ID] = status;
        }
        foreach (var gone in _lastStatus.Keys.Where(id => !listed.Contains(id)).ToList())
        {
            _lastStatus.Remove(gone);
        }
        return true;
    }

    /// <summary>
    /// The tasks of <paramref name="serviceIds"/>, by listings filtered on <see cref="IdsPerRequest"/> services
    /// each: after a burst thousands of services are hot, and one filter naming them all is a URL no server takes.
    /// </summary>
    private async Task<IReadOnlyList<IClusterResource>> ListTasksAsync(ConnectedEngine engine, HashSet<string> serviceIds, CancellationToken ct)
    {
        var state = _store.GetState(ClusterId)!;
        var names = serviceIds.Select(id => state.Get<ClusterService>(ResourceKind.Service, id)).OfType<ClusterService>()
            .ToDictionary(s => s.Id, s => s.Name, StringComparer.Ordinal);
        var result = new List<IClusterResource>();
        foreach (var chunk in serviceIds.Chunk(IdsPerRequest))
        {
            var parameters = new TasksListParameters
            {
                Filters = new Dictionary<string, IDictionary<string, bool>>
                {
                    ["service"] = chunk.ToDictionary(id => id, _ => true),
                },
            };
            var tasks = await _connection.CallAsync(engine.Client, c => c.Tasks.ListAsync(parameters, ct));
            // The filter also matches services whose name or id starts with a hot id; keep only the hot ones.
            result.AddRange(tasks.Where(t => t.ServiceID is not null && serviceIds.Contains(t.ServiceID))
                .Select(t => (IClusterResource)DockerModelMapper.ToTask(t, names)));
        }
        return result;
    }

    private static ResourceKind? KindOf(string? type) => type switch
    {
        "service" => ResourceKind.Service,
        "node" => ResourceKind.Node,
        "secret" => ResourceKind.Secret,
        "config" => ResourceKind.Config,
        "network" => ResourceKind.Network,
        "container" => ResourceKind.Container,
        _ => null,
    };

    /// <summary>The engine's RFC 3339 clock reading as the seconds-since-epoch form <c>/events?since=</c> takes.</summary>
    internal static string EngineTimeToUnix(string? systemTime)
    {
        // .NET parses at most 7 fractional digits; engines print 9.
        var trimmed = string.IsNullOrEmpty(systemTime) ? null : ExtraFraction().Replace(systemTime, "$1");
        var time = trimmed is not null && DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : DateTimeOffset.UtcNow;
        // A second of margin: replaying an event twice is harmless, missing one is not.
        var seconds = time.ToUnixTimeMilliseconds() / 1000.0 - 1;
        return seconds.ToString("F3", CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"(\.\d{7})\d+")]
    private static partial Regex ExtraFraction();

    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
