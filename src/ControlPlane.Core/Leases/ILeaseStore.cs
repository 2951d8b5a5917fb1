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

    /// <summary>Gives the lease up early, when <paramref name="holder"/> holds it.</summary>
    Task ReleaseAsync(string name, string holder, CancellationToken cancellationToken = default);
}
