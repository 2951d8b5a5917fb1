using ControlPlane.Core.Identity;
using ControlPlane.Core.Security;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Grants held in memory for page tests (the database behind the real source has tests of its own).</summary>
public sealed class FakeGrantSource : IGrantSource
{
    public List<Grant> Grants { get; } = [new Grant(1, "tester", Role.Admin, AccessScope.Everywhere)];

    /// <summary>Every grant held here, whoever asks: page tests have one signed-in user.</summary>
    public Task<IReadOnlyList<Grant>> ForSubjectsAsync(IReadOnlyCollection<string> subjects, CancellationToken ct = default) =>
        Task.FromResult<IReadOnlyList<Grant>>(Grants.ToList());
}
