using System.Security.Claims;
using ControlPlane.Core.Security;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Grants held in memory for page tests (the database behind the real source has tests of its own).</summary>
public sealed class FakeGrantSource : IGrantSource
{
    public List<Grant> Grants { get; } = [new Grant(1, "tester", Role.Admin, AccessScope.Everywhere)];

    public Task<IReadOnlyList<Grant>> GrantsOfAsync(ClaimsPrincipal user, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<Grant>>(Grants.ToList());
}
