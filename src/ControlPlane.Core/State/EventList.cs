using ControlPlane.Core.Model;

namespace ControlPlane.Core.State;

/// <summary>What the events feed narrows to: a type, an action, free text; null or empty means any.</summary>
public sealed record EventQuery(string? Type = null, string? Action = null, string? Text = null);

/// <summary>Filters, orders and summarises the recent engine events the store keeps.</summary>
public static class EventList
{
    /// <summary>Attribute keys worth a glance, in the order they are shown; the rest is on hover.</summary>
    private static readonly string[] NotableKeys =
    [
        "image", "exitCode", "signal", "updatestate.new", "replicas.new", "image.new", "availability.new", "state.new",
        "role.new", "driver", "container", "com.docker.swarm.service.name", "com.docker.swarm.task.name",
    ];

    /// <summary>The events matching <paramref name="query"/>, newest first (event ids sort by time).</summary>
    public static IReadOnlyList<ClusterEvent> Of(ClusterState state, EventQuery query) =>
        state.Events.Where(e => Matches(e, query)).OrderByDescending(e => e.Id, StringComparer.Ordinal).ToList();

    public static bool Matches(ClusterEvent e, EventQuery query) =>
        (string.IsNullOrEmpty(query.Type) || e.Type == query.Type)
        && (string.IsNullOrEmpty(query.Action) || e.Action == query.Action)
        && (string.IsNullOrWhiteSpace(query.Text) || TextMatch.Any(query.Text, [e.ActorName, e.ActorId, .. e.Attributes.Keys, .. e.Attributes.Values]));

    /// <summary>The event types present, for the type filter.</summary>
    public static IReadOnlyList<string> Types(ClusterState state) =>
        state.Events.Select(e => e.Type).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>The actions present, of one type when given, for the action filter.</summary>
    public static IReadOnlyList<string> Actions(ClusterState state, string? type = null) =>
        state.Events.Where(e => string.IsNullOrEmpty(type) || e.Type == type).Select(e => e.Action)
            .Where(a => a.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>The newest event's id, which later events' ids sort after.</summary>
    public static string? NewestId(ClusterState state) => state.Events.Select(e => e.Id).Max(StringComparer.Ordinal);

    /// <summary>How many events matching <paramref name="query"/> arrived after the one with <paramref name="newestId"/>.</summary>
    public static int CountNewer(ClusterState state, string? newestId, EventQuery query) =>
        state.Events.Count(e => (newestId is null || string.CompareOrdinal(e.Id, newestId) > 0) && Matches(e, query));

    /// <summary>A few attributes that say what happened, without the name (shown already) or the container labels' noise.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Notable(ClusterEvent e, int max = 3)
    {
        var notable = NotableKeys.Where(e.Attributes.ContainsKey).Select(k => new KeyValuePair<string, string>(k, e.Attributes[k]));
        var others = e.Attributes.Where(kv => kv.Key != "name" && !kv.Key.StartsWith("com.docker.", StringComparison.Ordinal) && !NotableKeys.Contains(kv.Key));
        return notable.Concat(others).Take(max).ToList();
    }
}
