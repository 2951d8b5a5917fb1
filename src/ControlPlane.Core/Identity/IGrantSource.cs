using ControlPlane.Core.Security;

namespace ControlPlane.Core.Identity;

/// <summary>Where a caller's stored grants come from: those naming their user and the groups they belong to.</summary>
public interface IGrantSource
{
    /// <summary>The grants naming any of <paramref name="subjects"/> (a user name, <c>group:&lt;id&gt;</c>).</summary>
    Task<IReadOnlyList<Grant>> ForSubjectsAsync(IReadOnlyCollection<string> subjects, CancellationToken ct = default);
}
