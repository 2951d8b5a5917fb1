using ControlPlane.Core.Model;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Logs;

/// <summary>A target the log viewer offers: what it reads, and how the picker shows it.</summary>
public sealed record LogTargetChoice(LogTarget Target, string Label, string Description);

/// <summary>The services and containers whose logs can be read, from the store's picture of a cluster.</summary>
public static class LogTargets
{
    /// <summary>Services by name, then containers by name.</summary>
    public static IReadOnlyList<LogTargetChoice> Of(ClusterState state) =>
    [
        .. state.Services.OrderBy(s => s.Name, StringComparer.Ordinal)
            .Select(s => new LogTargetChoice(LogTarget.Service(s.Id), s.Name, $"service · {s.Image.Split('@', 2)[0]}")),
        .. state.Containers.OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => new LogTargetChoice(LogTarget.Container(c.Id), c.Name, $"container · {c.State} · {c.Id[..Math.Min(12, c.Id.Length)]}")),
    ];

    /// <summary>
    /// The choice a link names (<c>?service=</c> id or name, or <c>?container=</c> id or name). A name the
    /// store does not know yet is still offered as given: the engine knows more than a store still syncing
    /// (<see cref="LogReader"/> decides whether the caller may read it).
    /// </summary>
    public static LogTargetChoice? Find(ClusterState? state, string? service, string? container)
    {
        if (!string.IsNullOrWhiteSpace(service))
        {
            return state?.FindService(service) is { } found
                ? new LogTargetChoice(LogTarget.Service(found.Id), found.Name, $"service · {found.Image.Split('@', 2)[0]}")
                : new LogTargetChoice(LogTarget.Service(service), service, "service");
        }
        if (!string.IsNullOrWhiteSpace(container))
        {
            return (state is null ? null : FindContainer(state, container)) is { } known
                ? new LogTargetChoice(LogTarget.Container(known.Id), known.Name, $"container · {known.State}")
                : new LogTargetChoice(LogTarget.Container(container), container, "container");
        }
        return null;
    }

    /// <summary>A container by id, by name, or by a unique id prefix, as the docker CLI finds one.</summary>
    public static ClusterContainer? FindContainer(ClusterState state, string idOrName) =>
        state.Containers.FirstOrDefault(c => c.Id == idOrName || c.Name == idOrName)
        ?? state.Containers.SingleOrDefaultIfMany(c => c.Id.StartsWith(idOrName, StringComparison.Ordinal));

    /// <summary>Whether the store still holds the target; false once its service or container was removed.</summary>
    public static bool Exists(ClusterState state, LogTarget target) => target.Kind == LogTargetKind.Service
        ? state.FindService(target.Id) is not null
        : state.Containers.Any(c => c.Id == target.Id || c.Name == target.Id);

    /// <summary>The single element that satisfies the condition, or null when none or several do.</summary>
    private static T? SingleOrDefaultIfMany<T>(this IEnumerable<T> items, Func<T, bool> predicate) where T : class
    {
        var matches = items.Where(predicate).Take(2).ToList();
        return matches.Count == 1 ? matches[0] : null;
    }
}
