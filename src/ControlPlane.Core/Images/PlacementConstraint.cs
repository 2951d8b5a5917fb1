using ControlPlane.Core.Model;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Images;

/// <summary>Docker's placement constraints, read against a node: <c>node.id</c>, <c>node.hostname</c>, <c>node.role</c>, <c>node.labels.*</c> with == or !=.</summary>
public static class PlacementConstraint
{
    /// <summary>Whether <paramref name="node"/> satisfies <paramref name="constraint"/>; constraints this cannot read (engine labels, platform) allow every node.</summary>
    public static bool Allows(string constraint, ClusterNode node)
    {
        var equal = constraint.IndexOf("==", StringComparison.Ordinal);
        var notEqual = constraint.IndexOf("!=", StringComparison.Ordinal);
        var (at, wantsEqual) = equal >= 0 ? (equal, true) : notEqual >= 0 ? (notEqual, false) : (-1, true);
        if (at < 0)
        {
            return true;
        }
        var key = constraint[..at].Trim();
        var value = constraint[(at + 2)..].Trim();
        if (key is not ("node.id" or "node.hostname" or "node.role") && !key.StartsWith("node.labels.", StringComparison.Ordinal))
        {
            return true;
        }
        var actual = key switch
        {
            "node.id" => node.Id,
            "node.hostname" => node.Hostname,
            "node.role" => node.Role,
            _ => node.Labels.GetValueOrDefault(key["node.labels.".Length..]),
        };
        return string.Equals(actual, value, StringComparison.OrdinalIgnoreCase) == wantsEqual;
    }

    /// <summary>The nodes a service's placement allows: every one of its constraints holds on them. Ordered by hostname.</summary>
    public static IReadOnlyList<ClusterNode> AllowedNodes(ClusterState state, ClusterService service) =>
        state.Nodes.Where(n => service.Details.Constraints.All(c => Allows(c, n))).OrderBy(n => n.Hostname, StringComparer.Ordinal).ToList();
}
