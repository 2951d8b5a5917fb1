using System.Collections.Immutable;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;

namespace ControlPlane.Core.State;

/// <summary>An immutable, versioned picture of one cluster. Applying changes gives a new state and leaves this one untouched.</summary>
public sealed class ClusterState
{
    private static readonly ResourceKind[] AllKinds = Enum.GetValues<ResourceKind>();

    private readonly ImmutableDictionary<string, IClusterResource>[] _byKind;

    /// <summary>Task ids and counts by service id, so a task change recounts one service without scanning its tasks.</summary>
    private readonly ImmutableDictionary<string, ServiceTasks> _taskIdsByService;

    /// <summary>
    /// Task ids by node id and service ids by stack: what a node's page, a node event or a stack-scoped caller
    /// needs, found without scanning every task or service (a cluster holds 50,000 tasks, DESIGN §11).
    /// </summary>
    private readonly Indexes _indexes;

    private ClusterState(long version, ClusterInfo cluster, ImmutableDictionary<string, IClusterResource>[] byKind,
        ImmutableDictionary<string, ServiceTasks> taskIdsByService, Indexes indexes)
    {
        Version = version;
        Cluster = cluster;
        _byKind = byKind;
        _taskIdsByService = taskIdsByService;
        _indexes = indexes;
    }

    public static ClusterState Empty(ClusterInfo cluster) =>
        new(0, cluster, AllKinds.Select(_ => ImmutableDictionary<string, IClusterResource>.Empty).ToArray(),
            ImmutableDictionary<string, ServiceTasks>.Empty, Indexes.Empty);

    public long Version { get; }

    public ClusterInfo Cluster { get; }

    public IEnumerable<ClusterNode> Nodes => Of<ClusterNode>(ResourceKind.Node);
    public IEnumerable<ClusterService> Services => Of<ClusterService>(ResourceKind.Service);
    public IEnumerable<ClusterTask> Tasks => Of<ClusterTask>(ResourceKind.Task);
    public IEnumerable<ClusterContainer> Containers => Of<ClusterContainer>(ResourceKind.Container);
    public IEnumerable<ClusterFileObject> Secrets => FileObjects(FileObjectKind.Secret);
    public IEnumerable<ClusterFileObject> Configs => FileObjects(FileObjectKind.Config);
    public IEnumerable<ClusterNetwork> Networks => Of<ClusterNetwork>(ResourceKind.Network);
    public IEnumerable<ClusterImage> Images => Of<ClusterImage>(ResourceKind.Image);
    public IEnumerable<ClusterEvent> Events => Of<ClusterEvent>(ResourceKind.Event);

    public IEnumerable<ClusterFileObject> FileObjects(FileObjectKind kind) => Of<ClusterFileObject>(FileObjectKinds.Of(kind).Resource);

    public int Count(ResourceKind kind) => _byKind[(int)kind].Count;

    public IEnumerable<IClusterResource> All(ResourceKind kind) => _byKind[(int)kind].Values;

    public T? Get<T>(ResourceKind kind, string id) where T : class, IClusterResource =>
        _byKind[(int)kind].TryGetValue(id, out var resource) ? (T)resource : null;

    public IEnumerable<T> Of<T>(ResourceKind kind) where T : IClusterResource => _byKind[(int)kind].Values.Cast<T>();

    /// <summary>Finds a service by id, by name, or by a unique id prefix, as the docker CLI does.</summary>
    public ClusterService? FindService(string idOrName)
    {
        if (Get<ClusterService>(ResourceKind.Service, idOrName) is { } byId)
        {
            return byId;
        }
        var byName = Services.FirstOrDefault(s => s.Name == idOrName);
        if (byName is not null)
        {
            return byName;
        }
        var byPrefix = Services.Where(s => s.Id.StartsWith(idOrName, StringComparison.Ordinal)).Take(2).ToList();
        return byPrefix.Count == 1 ? byPrefix[0] : null;
    }

    public IEnumerable<ClusterTask> TasksOf(string serviceId) =>
        _taskIdsByService.TryGetValue(serviceId, out var tasks)
            ? tasks.Ids.Select(id => (ClusterTask)_byKind[(int)ResourceKind.Task][id])
            : [];

    /// <summary>The tasks scheduled on a node, from the index.</summary>
    public IEnumerable<ClusterTask> TasksOn(string nodeId) =>
        _indexes.TasksByNode.TryGetValue(nodeId, out var ids)
            ? ids.Select(id => (ClusterTask)_byKind[(int)ResourceKind.Task][id])
            : [];

    /// <summary>The services labelled with a stack, from the index.</summary>
    public IEnumerable<ClusterService> ServicesIn(string stack) =>
        _indexes.ServicesByStack.TryGetValue(stack, out var ids)
            ? ids.Select(id => (ClusterService)_byKind[(int)ResourceKind.Service][id])
            : [];

    /// <summary>
    /// The same state with only the objects <paramref name="keep"/> accepts, at the same version: what a
    /// caller limited to some stacks may see. Derived replica counts are kept as the whole cluster has them.
    /// </summary>
    public ClusterState Where(Func<IClusterResource, bool> keep) =>
        Filtered(kind => _byKind[(int)kind].Values, keep);

    /// <summary>
    /// Like <see cref="Where"/> for a caller who sees only some stacks: services and tasks are taken from
    /// the stacks' indexes rather than by testing every one, so the cost follows what the caller sees, not
    /// the cluster's size (a stack-scoped page recomputes this on every batch).
    /// </summary>
    public ClusterState WithinStacks(IReadOnlySet<string> stacks, Func<IClusterResource, bool> keep)
    {
        var services = stacks.SelectMany(ServicesIn).ToList();
        return Filtered(kind => kind switch
        {
            ResourceKind.Service => services,
            ResourceKind.Task => services.SelectMany(s => TasksOf(s.Id)),
            _ => _byKind[(int)kind].Values,
        }, keep);
    }

    private ClusterState Filtered(Func<ResourceKind, IEnumerable<IClusterResource>> candidates, Func<IClusterResource, bool> keep)
    {
        var byKind = AllKinds.Select(kind => candidates(kind).Where(keep).ToImmutableDictionary(r => r.Id, StringComparer.Ordinal)).ToArray();
        var tasks = byKind[(int)ResourceKind.Task];
        var indexes = Indexes.Empty.ToBuilder();
        foreach (var task in tasks.Values.Cast<ClusterTask>())
        {
            indexes.AddTask(task);
        }
        // The counts stay the whole cluster's, as the services' derived replicas do; only the ids are narrowed.
        var index = tasks.Values.Cast<ClusterTask>()
            .GroupBy(t => t.ServiceId, StringComparer.Ordinal)
            .ToImmutableDictionary(g => g.Key, g => _taskIdsByService[g.Key] with { Ids = g.Select(t => t.Id).ToImmutableHashSet() }, StringComparer.Ordinal);
        foreach (var service in byKind[(int)ResourceKind.Service].Values.Cast<ClusterService>())
        {
            indexes.AddService(service);
        }
        return new ClusterState(Version, Cluster, byKind, index, indexes.ToImmutable());
    }

    /// <summary>The same objects at the same version, described by <paramref name="cluster"/> (say, without its connection details).</summary>
    public ClusterState WithCluster(ClusterInfo cluster) => new(Version, cluster, _byKind, _taskIdsByService, _indexes);

    /// <summary>
    /// The changes that make the objects of <paramref name="kind"/> within <paramref name="scope"/> equal to
    /// <paramref name="listed"/>: upserts for what is listed, deletes for what is held but not listed.
    /// </summary>
    public IReadOnlyList<ResourceChange> ChangesToMatch(ResourceKind kind, IEnumerable<IClusterResource> listed, Func<IClusterResource, bool>? scope = null)
    {
        var changes = new List<ResourceChange>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in listed)
        {
            seen.Add(resource.Id);
            changes.Add(ResourceChange.Upsert(resource));
        }
        foreach (var held in _byKind[(int)kind].Values)
        {
            if (!seen.Contains(held.Id) && (scope is null || scope(held)))
            {
                changes.Add(ResourceChange.Delete(kind, held.Id));
            }
        }
        return changes;
    }

    /// <summary>The changes that make the tasks of <paramref name="serviceIds"/> equal to <paramref name="listed"/>.</summary>
    /// <remarks>Only those services' tasks are compared, found by the index: the cost follows the services, not the cluster.</remarks>
    public IReadOnlyList<ResourceChange> ChangesToMatchTasks(IReadOnlySet<string> serviceIds, IEnumerable<IClusterResource> listed)
    {
        var changes = new List<ResourceChange>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in listed)
        {
            seen.Add(resource.Id);
            changes.Add(ResourceChange.Upsert(resource));
        }
        foreach (var serviceId in serviceIds)
        {
            foreach (var held in TasksOf(serviceId))
            {
                if (!seen.Contains(held.Id))
                {
                    changes.Add(ResourceChange.Delete(ResourceKind.Task, held.Id));
                }
            }
        }
        return changes;
    }

    /// <summary>
    /// Applies changes and returns the new state with the changes that really changed something
    /// (upserts of an equal object and deletes of an absent one drop out), plus service upserts whose
    /// derived replica counts moved because tasks changed.
    /// </summary>
    public (ClusterState State, ImmutableArray<ResourceChange> Effective) Apply(IEnumerable<ResourceChange> changes, ClusterInfo? cluster = null)
    {
        var builders = _byKind.Select(d => d.ToBuilder()).ToArray();
        var taskIndex = _taskIdsByService.ToBuilder();
        var indexes = _indexes.ToBuilder();
        var effective = ImmutableArray.CreateBuilder<ResourceChange>();
        var touchedServices = new HashSet<string>(StringComparer.Ordinal);

        foreach (var change in changes)
        {
            var items = builders[(int)change.Kind];
            if (change.Kind == ResourceKind.Service)
            {
                // Services are compared after their derived fields are computed, below.
                touchedServices.Add(change.Id);
                var held = items.GetValueOrDefault(change.Id) as ClusterService;
                if (change.Type == ChangeType.Upsert)
                {
                    if (IsOlder(change.Resource!, held))
                    {
                        continue;
                    }
                    items[change.Id] = change.Resource!;
                }
                else
                {
                    items.Remove(change.Id);
                }
                indexes.RemoveService(held);
                indexes.AddService(change.Resource as ClusterService);
                continue;
            }

            items.TryGetValue(change.Id, out var existing);
            if (change.Type == ChangeType.Upsert)
            {
                if (Equals(existing, change.Resource) || IsOlder(change.Resource!, existing))
                {
                    continue;
                }
                items[change.Id] = change.Resource!;
            }
            else if (!items.Remove(change.Id))
            {
                continue;
            }

            effective.Add(change);
            if (change.Kind == ResourceKind.Task)
            {
                if (existing is ClusterTask before)
                {
                    touchedServices.Add(before.ServiceId);
                    indexes.RemoveTask(before);
                    var remaining = taskIndex[before.ServiceId].Without(before);
                    if (remaining.Ids.IsEmpty)
                    {
                        taskIndex.Remove(before.ServiceId);
                    }
                    else
                    {
                        taskIndex[before.ServiceId] = remaining;
                    }
                }
                if (change.Resource is ClusterTask after)
                {
                    touchedServices.Add(after.ServiceId);
                    indexes.AddTask(after);
                    taskIndex[after.ServiceId] = taskIndex.GetValueOrDefault(after.ServiceId, ServiceTasks.None).With(after);
                }
            }
        }

        if (touchedServices.Count > 0)
        {
            DeriveServices(builders, taskIndex, touchedServices, effective);
        }

        var newCluster = cluster ?? Cluster;
        if (effective.Count == 0 && newCluster == Cluster)
        {
            return (this, ImmutableArray<ResourceChange>.Empty);
        }
        return (new ClusterState(Version + 1, newCluster, builders.Select(b => b.ToImmutable()).ToArray(), taskIndex.ToImmutable(), indexes.ToImmutable()),
            effective.ToImmutable());
    }

    /// <summary>True when the incoming object is an older version of the one held (a listing that raced an event).</summary>
    private static bool IsOlder(IClusterResource incoming, IClusterResource? held) =>
        incoming is IVersionedResource { ObjectVersion: > 0 } next && held is IVersionedResource current && next.ObjectVersion < current.ObjectVersion;

    private void DeriveServices(
        ImmutableDictionary<string, IClusterResource>.Builder[] builders,
        ImmutableDictionary<string, ServiceTasks>.Builder taskIndex,
        HashSet<string> serviceIds,
        ImmutableArray<ResourceChange>.Builder effective)
    {
        var services = builders[(int)ResourceKind.Service];

        foreach (var serviceId in serviceIds)
        {
            _byKind[(int)ResourceKind.Service].TryGetValue(serviceId, out var before);
            if (!services.TryGetValue(serviceId, out var current))
            {
                if (before is not null)
                {
                    effective.Add(ResourceChange.Delete(ResourceKind.Service, serviceId));
                }
                continue;
            }

            var service = (ClusterService)current;
            var tasks = taskIndex.GetValueOrDefault(serviceId, ServiceTasks.None);
            var derived = service with
            {
                ReplicasRunning = tasks.Running,
                ReplicasDesired = service.Mode == "global" ? tasks.DesiredRunning : service.ReplicasDesired,
            };
            services[serviceId] = derived;
            if (!Equals(before, derived))
            {
                effective.Add(ResourceChange.Upsert(derived));
            }
        }
    }

    /// <summary>A service's task ids with the two counts its replicas derive from.</summary>
    private sealed record ServiceTasks(ImmutableHashSet<string> Ids, int Running, int DesiredRunning)
    {
        public static readonly ServiceTasks None = new(ImmutableHashSet<string>.Empty, 0, 0);

        /// <summary>A running replica is a task that runs and is meant to; one being shut down does not count.</summary>
        private static int IsRunning(ClusterTask task) => task.IsRunning && task.DesiredState == "running" ? 1 : 0;

        private static int IsDesired(ClusterTask task) => task.DesiredState == "running" ? 1 : 0;

        public ServiceTasks With(ClusterTask task) => new(Ids.Add(task.Id), Running + IsRunning(task), DesiredRunning + IsDesired(task));

        public ServiceTasks Without(ClusterTask task) => new(Ids.Remove(task.Id), Running - IsRunning(task), DesiredRunning - IsDesired(task));
    }

    /// <summary>Ids grouped by one of their fields, kept as objects come and go.</summary>
    private sealed record Indexes(
        ImmutableDictionary<string, ImmutableHashSet<string>> TasksByNode,
        ImmutableDictionary<string, ImmutableHashSet<string>> ServicesByStack)
    {
        public static readonly Indexes Empty = new(
            ImmutableDictionary.Create<string, ImmutableHashSet<string>>(StringComparer.Ordinal),
            ImmutableDictionary.Create<string, ImmutableHashSet<string>>(StringComparer.Ordinal));

        public Builder ToBuilder() => new(TasksByNode.ToBuilder(), ServicesByStack.ToBuilder());

        public sealed class Builder(
            ImmutableDictionary<string, ImmutableHashSet<string>>.Builder tasksByNode,
            ImmutableDictionary<string, ImmutableHashSet<string>>.Builder servicesByStack)
        {
            public void AddTask(ClusterTask task) => Add(tasksByNode, task.NodeId, task.Id);

            public void RemoveTask(ClusterTask task) => Remove(tasksByNode, task.NodeId, task.Id);

            public void AddService(ClusterService? service) => Add(servicesByStack, service?.Stack, service?.Id);

            public void RemoveService(ClusterService? service) => Remove(servicesByStack, service?.Stack, service?.Id);

            public Indexes ToImmutable() => new(tasksByNode.ToImmutable(), servicesByStack.ToImmutable());

            private static void Add(ImmutableDictionary<string, ImmutableHashSet<string>>.Builder index, string? key, string? id)
            {
                if (key is not null && id is not null)
                {
                    index[key] = index.GetValueOrDefault(key, ImmutableHashSet.Create<string>(StringComparer.Ordinal)).Add(id);
                }
            }

            private static void Remove(ImmutableDictionary<string, ImmutableHashSet<string>>.Builder index, string? key, string? id)
            {
                if (key is null || id is null || !index.TryGetValue(key, out var ids))
                {
                    return;
                }
                var remaining = ids.Remove(id);
                if (remaining.IsEmpty)
                {
                    index.Remove(key);
                }
                else
                {
                    index[key] = remaining;
                }
            }
        }
    }
}
