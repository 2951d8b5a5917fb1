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

    public Task<SpecChange> CreateSecretAsync(string clusterId, string name, IReadOnlyDictionary<string, string> labels, byte[] value, CancellationToken cancellationToken)
    {
        Calls.Add($"secret {name}");
        return Task.FromResult(new SpecChange("{}", $"{{\"Name\":\"{name}\"}}"));
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
