namespace ControlPlane.Core.Leases;

/// <summary>
/// Named leases in the shared database, so that a job several ControlPlane replicas could run (scheduled
/// rotation, metric sampling) is run by one of them at a time.
/// </summary>
public interface ILeaseStore
{
    /// <summary>
    /// Takes or renews the lease <paramref name="name"/> for <paramref name="holder"/> until now + <paramref name="duration"/>.
    /// Answers false when another holder has it and it has not expired.
    /// </summary>
    Task<bool> TryAcquireAsync(string name, string holder, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Extends a lease <paramref name="holder"/> still holds (even lapsed, as long as nobody took it meanwhile); never
    /// creates one, so a renewal racing with a release cannot bring a released lease back.
    /// </summary>
    Task<bool> TryRenewAsync(string name, string holder, TimeSpan duration, CancellationToken cancellationToken = default) =>
        TryAcquireAsync(name, holder, duration, cancellationToken);

    /// <summary>Gives the lease up early, when <paramref name="holder"/> holds it.</summary>
    Task ReleaseAsync(string name, string holder, CancellationToken cancellationToken = default);
}
