namespace ControlPlane.Core.Identity;

/// <summary>
/// A count of changes to who may do what — grants, accounts, API tokens, client bundles — saved by this process.
/// Whoever keeps what it read about a caller keeps the count it read it at, and reads again once the count moved, so a
/// revocation made here takes effect on the very next request, even on a connection that is already open.
/// </summary>
public sealed class AccessChanges
{
    private long _generation;

    /// <summary>The number of changes so far; compare it before trusting something read earlier.</summary>
    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>Called once a change to access is saved (and again before it is, so a read racing the save is not trusted).</summary>
    public void Changed() => Interlocked.Increment(ref _generation);
}
