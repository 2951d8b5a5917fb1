using System.Text.RegularExpressions;
using ControlPlane.Core.Model;

namespace ControlPlane.Core.State;

/// <summary>Which services' placement constraints name a node label (<c>node.labels.&lt;key&gt;==…</c>), so a label is not changed blind.</summary>
public static partial class NodeLabelUsage
{
    /// <summary>The services of <paramref name="state"/> with a constraint on node label <paramref name="key"/>, by name.</summary>
    public static IReadOnlyList<ClusterService> ServicesUsing(ClusterState state, string key) =>
        key.Trim() is { Length: > 0 } trimmed
            ? state.Services.Where(s => s.Details.Constraints.Any(c => LabelOf(c) == trimmed)).OrderBy(s => s.Name, StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The node label a constraint tests, or null for a constraint on something else.</summary>
    public static string? LabelOf(string constraint)
    {
        var match = NodeLabelConstraint().Match(constraint);
        return match.Success ? match.Groups[1].Value.Trim() : null;
    }

    [GeneratedRegex(@"^\s*node\.labels\.([^=!\s]+)\s*(==|!=)")]
    private static partial Regex NodeLabelConstraint();
}
