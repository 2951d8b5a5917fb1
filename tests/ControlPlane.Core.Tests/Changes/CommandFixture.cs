using System.Collections.Concurrent;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Tests.Changes;

/// <summary>
/// A hand-built cluster in a store, the real executor and runner with an in-memory audit log, and fakes of the
/// engine ports that record what they were asked to do; for the application commands' tests.
/// </summary>
internal sealed class CommandFixture : IAsyncDisposable
{
    public const string Cluster = "c1";

    public static readonly DateTimeOffset Created = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    public ClusterStateStore Store { get; } = new();

    public RecordingAuditLog Audit { get; } = new();

    public FakeFileObjectChanges Files { get; } = new();

    public FakeSwarmChanges Swarm { get; } = new();

    public ChangeGate Gate { get; }

    public OperationRunner Runner { get; }

    public FileFamilyCommands Families { get; }

    public CommandFixture()
    {
        var locks = new ChangeLocks();
        Gate = new ChangeGate(Audit, locks, TimeProvider.System);
        Runner = new OperationRunner(new InMemoryOperationStore(), Gate, TimeProvider.System);
        Families = new FileFamilyCommands(Store, Gate, Runner, Files, new FileFamilyOperations(Files, TimeProvider.System, new FileFamilyTimings(TimeSpan.FromSeconds(5))));
        Store.Register(ClusterInfo.Initial(Cluster, Cluster));
    }

    public void Add(params IClusterResource[] resources) => Store.Apply(Cluster, resources.Select(ResourceChange.Upsert));

    public static ChangeCaller Caller(Role role, string? stack = null) =>
        new("alice", [new Grant(1, "alice", role, stack is null ? AccessScope.OfCluster(Cluster) : AccessScope.OfStack(Cluster, stack))], "10.0.0.9");

    public static ClusterService Service(string name, string? stack = null, FileReference[]? secrets = null, FileReference[]? configs = null) =>
        new($"id-{name}", name, "demo/app:1", "replicated", 1, 1, stack, null, null,
            stack is null ? Labels.Empty : Labels.From([new(StackLabel, stack)]), Created, Created)
        {
            Details = ServiceDetails.Empty with
            {
                Secrets = ValueList<FileReference>.From(secrets ?? []),
                Configs = ValueList<FileReference>.From(configs ?? []),
            },
        };

    /// <summary>Version <paramref name="version"/> of a family, labelled as ControlPlane labels it (and with a stack's namespace when given).</summary>
    public static ClusterFileObject Version(FileObjectKind kind, string family, int version, string? stack = null, RotationPolicy? policy = null)
    {
        var labels = new List<KeyValuePair<string, string>> { new(FileObjectList.FamilyLabel, family), new(FileObjectList.VersionLabel, $"{version}") };
        if (stack is not null)
        {
            labels.Add(new(StackLabel, stack));
        }
        labels.AddRange(policy?.ToLabels() ?? []);
        return new ClusterFileObject(kind, $"id-{family}.v{version}", $"{family}.v{version}", Labels.From(labels), Created, Created);
    }

    /// <summary>An object ControlPlane did not make: no family labels (as docker stack deploy makes them, with the stack's).</summary>
    public static ClusterFileObject Plain(FileObjectKind kind, string name, string? stack = null) =>
        new(kind, $"id-{name}", name, stack is null ? Labels.Empty : Labels.From([new(StackLabel, stack)]), Created, Created);

    public static FileReference Mount(string name, string target) => new($"id-{name}", name, target, "0", "0", 0x124);

    public const string StackLabel = "com.docker.stack.namespace";

    public ValueTask DisposeAsync() => Runner.DisposeAsync();
}

/// <summary>Records the swarm changes asked for instead of making them.</summary>
internal sealed class FakeSwarmChanges : ISwarmChanges
{
    public ConcurrentQueue<string> Calls { get; } = new();

    public Task<SpecChange> ScaleServiceAsync(string clusterId, string serviceId, long replicas, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"scale {serviceId} {replicas}");
        return Task.FromResult(new SpecChange("{}", "{}"));
    }

    public Task<SpecChange> SetNodeAvailabilityAsync(string clusterId, string nodeId, string availability, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"availability {nodeId} {availability}");
        return Task.FromResult(new SpecChange("{}", "{}"));
    }
}

/// <summary>Records secret and config engine calls (never a value); references are kept in memory and every service converges at once.</summary>
internal sealed class FakeFileObjectChanges : IFileObjectChanges
{
    private readonly ConcurrentDictionary<string, IReadOnlyList<FileReference>> _references = new();

    public ConcurrentQueue<string> Calls { get; } = new();

    /// <summary>The labels of the last version created or relabelled.</summary>
    public IReadOnlyDictionary<string, string>? LastLabels { get; private set; }

    public IReadOnlyList<FileReference> ReferencesOf(string serviceId) => _references.GetValueOrDefault(serviceId) ?? [];

    public Task<FileObjectVersion> CreateAsync(string clusterId, FileObjectKind kind, string name, IReadOnlyDictionary<string, string> labels, byte[] data, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"create {kind} {name} ({data.Length} bytes)");
        LastLabels = labels;
        return Task.FromResult(new FileObjectVersion($"id-{name}", name, Labels.From(labels), DateTimeOffset.UtcNow));
    }

    public Task RemoveAsync(string clusterId, FileObjectKind kind, string id, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"remove {kind} {id}");
        return Task.CompletedTask;
    }

    public Task<SpecChange> UpdateLabelsAsync(string clusterId, FileObjectKind kind, string id, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"labels {kind} {id}");
        LastLabels = labels;
        return Task.FromResult(new SpecChange("{}", "{}"));
    }

    public Task<byte[]> ReadConfigDataAsync(string clusterId, string id, CancellationToken cancellationToken) => Task.FromResult<byte[]>([]);

    public Task<ServiceUpdate> UpdateReferencesAsync(string clusterId, string serviceId, FileObjectKind kind, Func<IReadOnlyList<FileReference>, IReadOnlyList<FileReference>> edit, bool rotation, CancellationToken cancellationToken)
    {
        var wanted = edit(ReferencesOf(serviceId));
        _references[serviceId] = wanted;
        Calls.Enqueue($"references {kind} {serviceId} {string.Join(",", wanted.Select(r => $"{r.Name}@{r.Target}:{r.Uid}:{r.Gid}:{Convert.ToString(r.Mode, 8)}"))}");
        return Task.FromResult(new ServiceUpdate(serviceId, serviceId, new SpecChange("{}", "{}"), true, DateTimeOffset.UtcNow));
    }

    public Task RestoreUpdatePolicyAsync(string clusterId, string serviceId, string policy, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<Convergence> WaitForConvergenceAsync(string clusterId, string serviceId, DateTimeOffset since, TimeSpan timeout, Func<ConvergenceProgress, Task>? progress, CancellationToken cancellationToken) =>
        Task.FromResult(Convergence.Done(1, 1));
}
