using ControlPlane.Core.State;

namespace ControlPlane.Core.Secrets;

/// <summary>A secret family whose newest version is older than it should be, and why.</summary>
public sealed record StaleSecret(string Family, string NewestVersion, TimeSpan Age, string Reason, bool Scheduled);

/// <summary>Finds secret families overdue for rotation: past their own schedule, or older than the cluster-wide threshold.</summary>
public static class StaleSecrets
{
    /// <summary>Used when <c>ControlPlane:Secrets:StaleAfterDays</c> is not set.</summary>
    public const int DefaultStaleAfterDays = 90;

    public static IReadOnlyList<StaleSecret> Find(ClusterState state, DateTimeOffset now, TimeSpan staleAfter) =>
        FileFamilies.Of(state, FileObjectKind.Secret)
            .Select(family => Find(family, now, staleAfter))
            .OfType<StaleSecret>()
            .OrderByDescending(s => s.Age)
            .ToList();

    /// <summary>Why one family is stale, or null when it is not.</summary>
    public static StaleSecret? Find(Family family, DateTimeOffset now, TimeSpan staleAfter)
    {
        var newest = family.Newest;
        var age = now - newest.CreatedAt;
        return family.Policy is { } policy && policy.IsDue(newest.CreatedAt, now)
            ? new StaleSecret(family.Name, newest.Name, age, $"due every {policy.EveryDays} days", true)
            : age >= staleAfter
                ? new StaleSecret(family.Name, newest.Name, age, $"older than {staleAfter.TotalDays:0} days", family.Policy is not null)
                : null;
    }
}
