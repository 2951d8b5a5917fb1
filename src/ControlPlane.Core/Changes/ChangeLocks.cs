using System.Collections.Concurrent;

namespace ControlPlane.Core.Changes;

/// <summary>
/// The objects a change or an operation is working on right now, so that the same object never has two
/// running at once (DESIGN §4). Taken through the <see cref="ChangeGate"/>.
/// </summary>
public sealed class ChangeLocks
{
    private readonly ConcurrentDictionary<string, byte> _held = new(StringComparer.Ordinal);

    /// <summary>Takes the object's lock, or answers null at once when something else holds it.</summary>
    public IDisposable? TryEnter(string key) => _held.TryAdd(key, 0) ? new Lease(this, key) : null;

    public bool IsHeld(string key) => _held.ContainsKey(key);

    /// <summary>What a caller is told when an object's lock is held by another change.</summary>
    public static string Busy(string name) => $"Another change to {name} is running; try again when it has finished.";

    /// <summary>The lock key of an intent: its own lock when it names one, else its target and subject.</summary>
    public static string KeyOf(ChangeIntent intent) => intent.Lock ?? $"{intent.Target}/{intent.Subject}";

    /// <summary>
    /// The lock a service's own changes take (scale, rollout, inject: their target is the service's stack and their
    /// subject its name), for operations that move services besides their own target.
    /// </summary>
    public static string ServiceKey(string clusterId, string? stack, string serviceName) =>
        $"{Security.AccessTarget.InCluster(clusterId, stack)}/{serviceName}";

    private sealed class Lease(ChangeLocks owner, string key) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner._held.TryRemove(key, out _);
            }
        }
    }
}
