using System.Collections.Concurrent;
using ControlPlane.Core.Leases;

namespace ControlPlane.Core.Changes;

/// <summary>
/// The objects a change or an operation is working on right now, so that the same object never has two
/// running at once (DESIGN §4). Taken through the <see cref="ChangeGate"/>.
/// In one process a dictionary decides; with a lease store (the shared database, DESIGN §8) each held object is
/// also a lease row, renewed while it is held, so two replicas never change the same object at once. A replica that
/// dies stops renewing and its locks lapse after <see cref="LeaseTime"/>.
/// </summary>
public sealed class ChangeLocks : IAsyncDisposable
{
    /// <summary>How long a lock outlives the last renewal of a replica that stopped.</summary>
    public static readonly TimeSpan LeaseTime = TimeSpan.FromSeconds(10);

    /// <summary>How often a replica renews the leases of what it holds: three times within <see cref="LeaseTime"/>.</summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(3);

    private readonly ConcurrentDictionary<string, Held> _held = new(StringComparer.Ordinal);
    private readonly ILeaseStore? _leases;
    private readonly LeaseHolder _holder;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task? _renewing;

    /// <summary>Locks of this process alone (tests, tools, a host without a database).</summary>
    public ChangeLocks() : this(null, null)
    {
    }

    public ChangeLocks(ILeaseStore? leases, LeaseHolder? holder)
    {
        _leases = leases;
        _holder = holder ?? new LeaseHolder();
        if (leases is not null)
        {
            _renewing = Task.Run(RenewAsync);
        }
    }

    /// <summary>Whether locks hold across replicas (a lease store is configured), so operations can be adopted.</summary>
    public bool Shared => _leases is not null;

    /// <summary>This process as it names itself in leases and in the audit log.</summary>
    public string HolderName => _holder.Name;

    /// <summary>The lease names of locks, apart from other leases in the same table.</summary>
    public static string LeaseName(string key) => $"lock/{key}";

    /// <summary>
    /// Takes the object's lock, or answers null at once when something else holds it (here or on another replica).
    /// <paramref name="owner"/> names the holder in the shared lease: an operation takes its locks in its own name, so
    /// the replica that adopts it takes them over; other changes hold them in a name of their own.
    /// </summary>
    public async Task<LockHandle?> TryEnterAsync(string key, string? owner = null, CancellationToken cancellationToken = default)
    {
        var held = new Held(owner ?? $"{_holder.Name}/{Guid.NewGuid():n}");
        if (!_held.TryAdd(key, held))
        {
            return null;
        }
        if (_leases is not null)
        {
            bool taken;
            try
            {
                taken = await _leases.TryAcquireAsync(LeaseName(key), held.Owner, LeaseTime, cancellationToken);
            }
            catch
            {
                _held.TryRemove(new KeyValuePair<string, Held>(key, held));
                throw;
            }
            if (!taken)
            {
                _held.TryRemove(new KeyValuePair<string, Held>(key, held));
                return null;
            }
        }
        return new LockHandle(this, key, held);
    }

    /// <summary>Whether this process holds the object's lock (what another replica holds is not known here).</summary>
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

    private async Task ReleaseAsync(string key, Held held, bool keepLease)
    {
        if (!_held.TryRemove(new KeyValuePair<string, Held>(key, held)))
        {
            return;
        }
        if (_leases is not null && !keepLease)
        {
            try
            {
                await _leases.ReleaseAsync(LeaseName(key), held.Owner, CancellationToken.None);
            }
            catch (Exception)
            {
                // The database is away: the lease lapses by itself after LeaseTime.
            }
        }
    }

    /// <summary>Renews every held lease; one that another holder has taken meanwhile (after a pause longer than the lease) is marked lost.</summary>
    private async Task RenewAsync()
    {
        using var timer = new PeriodicTimer(RenewEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                foreach (var (key, held) in _held.ToArray())
                {
                    try
                    {
                        if (_held.ContainsKey(key) && !await _leases!.TryRenewAsync(LeaseName(key), held.Owner, LeaseTime, _stopping.Token))
                        {
                            await held.Lost.CancelAsync();
                        }
                    }
                    catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception)
                    {
                        // The database did not answer this time; the next tick tries again, well within the lease.
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Stops renewing, as a replica that goes away does; the leases it held lapse (or are released by their
    /// holders), so another replica can take them.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_renewing is not null)
        {
            await _renewing;
        }
        _stopping.Dispose();
    }

    internal sealed class Held(string owner)
    {
        public string Owner { get; } = owner;

        /// <summary>Cancelled when another holder took the lease after it lapsed: whatever it guarded must stop.</summary>
        public CancellationTokenSource Lost { get; } = new();
    }

    /// <summary>One held lock: released by disposing it; <see cref="Lost"/> tells when another replica took it.</summary>
    public sealed class LockHandle : IAsyncDisposable
    {
        private readonly ChangeLocks _owner;
        private readonly string _key;
        private readonly Held _held;

        internal LockHandle(ChangeLocks owner, string key, Held held)
        {
            _owner = owner;
            _key = key;
            _held = held;
            Lost = held.Lost.Token;
        }

        public CancellationToken Lost { get; }

        public ValueTask DisposeAsync() => new(_owner.ReleaseAsync(_key, _held, keepLease: false));

        /// <summary>
        /// Forgets the lock here but leaves its lease to lapse: an operation handed over on shutdown keeps its objects
        /// guarded until the replica that adopts it takes them in the operation's name.
        /// </summary>
        public Task AbandonAsync() => _owner.ReleaseAsync(_key, _held, keepLease: true);
    }
}
