using ControlPlane.Core.Security;

namespace ControlPlane.Core.Identity;

/// <summary>Stored grants: who holds which role where, and the administration of them.</summary>
public interface IGrantStore : IGrantSource
{
    /// <summary>Every grant, by subject.</summary>
    Task<IReadOnlyList<Grant>> ListAsync(CancellationToken ct = default);

    /// <summary>Stores a grant; throws <see cref="ArgumentException"/> for a blank subject or a stack scope without its cluster.</summary>
    Task<Grant> AddAsync(string subject, Role role, AccessScope scope, string createdBy, CancellationToken ct = default);

    /// <summary>Removes a grant and returns it; null when there was none with that id.</summary>
    Task<Grant?> RemoveAsync(long id, CancellationToken ct = default);
}
