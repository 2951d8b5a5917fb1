using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Records the changes a page asks for instead of making them (the Docker side has its own tests against the swarm).</summary>
public sealed class FakeSwarmChanges : ISwarmChanges
{
    public List<string> Calls { get; } = [];

    public Task<SpecChange> ScaleServiceAsync(string clusterId, string serviceId, long replicas, CancellationToken cancellationToken)
    {
        Calls.Add($"scale {serviceId} {replicas}");
        return Task.FromResult(new SpecChange("{\"Replicas\":1}", $"{{\"Replicas\":{replicas}}}"));
    }

    public Task<SpecChange> SetNodeAvailabilityAsync(string clusterId, string nodeId, string availability, CancellationToken cancellationToken)
    {
        Calls.Add($"availability {nodeId} {availability}");
        return Task.FromResult(new SpecChange("{\"Availability\":\"active\"}", $"{{\"Availability\":\"{availability}\"}}"));
    }
}

/// <summary>The audit log in memory, for page tests.</summary>
public sealed class FakeAuditLog : IAuditLog
{
    public List<AuditEntry> Entries { get; } = [];

    public Task<AuditRecord> AppendAsync(AuditEntry entry, CancellationToken cancellationToken = default)
    {
        lock (Entries)
        {
            Entries.Add(entry);
            return Task.FromResult(AuditRecord.Chain(Entries.Count, entry, AuditRecord.Genesis));
        }
    }
}

/// <summary>Records secret and config engine calls; references are edited in memory and every service converges at once unless told to fail.</summary>
public sealed class FakeFileObjectChanges : Core.Secrets.IFileObjectChanges
{
    public List<string> Calls { get; } = [];

    /// <summary>Config data by object id, for the data and diff views.</summary>
    public Dictionary<string, byte[]> ConfigData { get; } = [];

    /// <summary>Services (by id) whose convergence fails, with the reason.</summary>
    public Dictionary<string, string> Failing { get; } = [];

    /// <summary>A removal refused as Docker would, by object id.</summary>
    public Dictionary<string, string> InUse { get; } = [];

    private readonly Dictionary<string, IReadOnlyList<Core.Model.FileReference>> _references = [];

    public Task<Core.Secrets.FileObjectVersion> CreateAsync(string clusterId, Core.Secrets.FileObjectKind kind, string name, IReadOnlyDictionary<string, string> labels, byte[] data, CancellationToken cancellationToken)
    {
        Calls.Add($"create {kind} {name}");
        return Task.FromResult(new Core.Secrets.FileObjectVersion($"id-{name}", name, Core.Model.Labels.From(labels), DateTimeOffset.UtcNow));
    }

    public Task RemoveAsync(string clusterId, Core.Secrets.FileObjectKind kind, string id, CancellationToken cancellationToken)
    {
        Calls.Add($"remove {kind} {id}");
        return InUse.TryGetValue(id, out var users)
            ? Task.FromException(new ChangeRejectedException(ChangeFailure.Conflict, $"in use by {users}"))
            : Task.CompletedTask;
    }

    public Task<SpecChange> UpdateLabelsAsync(string clusterId, Core.Secrets.FileObjectKind kind, string id, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        Calls.Add($"labels {kind} {id}");
        return Task.FromResult(new SpecChange("{}", "{}"));
    }

    public Task<byte[]> ReadConfigDataAsync(string clusterId, string id, CancellationToken cancellationToken) =>
        Task.FromResult(ConfigData.GetValueOrDefault(id) ?? []);

    public Task<Core.Secrets.ServiceUpdate> UpdateReferencesAsync(string clusterId, string serviceId, Core.Secrets.FileObjectKind kind,
        Func<IReadOnlyList<Core.Model.FileReference>, IReadOnlyList<Core.Model.FileReference>> edit, bool rotation, CancellationToken cancellationToken)
    {
        var wanted = edit(_references.GetValueOrDefault(serviceId) ?? []);
        _references[serviceId] = wanted;
        Calls.Add($"references {serviceId} {string.Join(",", wanted.Select(r => $"{r.Name}@{r.Target}:{r.Uid}:{r.Gid}:{Convert.ToString(r.Mode, 8)}"))}");
        return Task.FromResult(new Core.Secrets.ServiceUpdate(serviceId, serviceId, new SpecChange("{}", "{}"), true, DateTimeOffset.UtcNow));
    }

    public Task RestoreUpdatePolicyAsync(string clusterId, string serviceId, string policy, CancellationToken cancellationToken)
    {
        Calls.Add($"policy {serviceId}");
        return Task.CompletedTask;
    }

    public async Task<Core.Secrets.Convergence> WaitForConvergenceAsync(string clusterId, string serviceId, DateTimeOffset since, TimeSpan timeout,
        Func<Core.Secrets.ConvergenceProgress, Task>? progress, CancellationToken cancellationToken)
    {
        if (progress is not null)
        {
            await progress(new Core.Secrets.ConvergenceProgress(1, 1, "completed"));
        }
        return Failing.Remove(serviceId, out var why) ? Core.Secrets.Convergence.Failed(why, 0, 1) : Core.Secrets.Convergence.Done(1, 1);
    }

    /// <summary>Seeds a service's current references (as the fake engine knows them).</summary>
    public void Mount(string serviceId, params Core.Model.FileReference[] references) => _references[serviceId] = references;
}
