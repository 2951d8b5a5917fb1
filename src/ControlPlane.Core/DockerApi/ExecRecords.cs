using System.Collections.Concurrent;

namespace ControlPlane.Core.DockerApi;

/// <summary>
/// The exec instances created through the Docker API endpoint, each with the container it was created for. Starting,
/// resizing or inspecting an exec is authorized on that container's stack, so the exec id a caller sends must map back
/// to a container ControlPlane checked when the exec was created; an id it did not create is the cluster Admin's alone.
/// Kept in memory, bounded: the engine forgets an exec soon after it ends, and an unknown id only costs a refusal.
/// </summary>
public sealed class ExecRecords(TimeProvider time)
{
    /// <summary>How long a created exec may wait to be started and inspected.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    private const int MaxRecords = 10_000;

    private readonly ConcurrentDictionary<(string Cluster, string ExecId), (string ContainerId, DateTimeOffset At)> _records = new();

    public void Add(string cluster, string execId, string containerId)
    {
        var now = time.GetUtcNow();
        if (_records.Count >= MaxRecords)
        {
            foreach (var old in _records.Where(r => now - r.Value.At > Lifetime || _records.Count >= MaxRecords).OrderBy(r => r.Value.At).Take(MaxRecords / 10).ToList())
            {
                _records.TryRemove(old.Key, out _);
            }
        }
        _records[(cluster, execId)] = (containerId, now);
    }

    /// <summary>The container an exec created through ControlPlane belongs to; null for an id it did not create (or forgot).</summary>
    public string? ContainerOf(string cluster, string execId) =>
        _records.TryGetValue((cluster, execId), out var record) && time.GetUtcNow() - record.At <= Lifetime ? record.ContainerId : null;
}
