using ControlPlane.Core.Model;

namespace ControlPlane.Core.Workloads;

/// <summary>
/// Raft's arithmetic for manager changes (a swarm with N managers needs a majority, N/2+1, reachable): a demotion that
/// would leave fewer reachable managers than a majority of those left, or no manager at all, is refused with why; an
/// even number of managers tolerates no more failures than one fewer, so a change that leaves one is warned about.
/// </summary>
public static class Quorum
{
    public static int Majority(int managers) => managers / 2 + 1;

    /// <summary>Why demoting <paramref name="node"/> would break the swarm, or null when it may be demoted.</summary>
    public static string? RefuseDemotion(IEnumerable<ClusterNode> nodes, ClusterNode node)
    {
        var managers = nodes.Where(n => n.Role == "manager").ToList();
        var left = managers.Where(n => n.Id != node.Id).ToList();
        if (left.Count == 0)
        {
            return $"{node.Hostname} is the only manager: demoting it would leave the swarm without one. Promote another node first.";
        }
        var reachable = left.Count(IsReachable);
        if (reachable < Majority(left.Count))
        {
            return $"Demoting {node.Hostname} would leave {left.Count} manager{(left.Count == 1 ? "" : "s")} of which {reachable} {(reachable == 1 ? "is" : "are")} reachable; " +
                $"the swarm needs a majority ({Majority(left.Count)}) to keep its quorum. Bring the unreachable managers back (or remove them) first.";
        }
        return null;
    }

    /// <summary>A warning when <paramref name="managers"/> (after a change) is even, else null.</summary>
    public static string? EvenWarning(int managers) => managers > 0 && managers % 2 == 0
        ? $"Warning: the swarm now has {managers} managers, an even number: it tolerates no more manager failures than {managers - 1} would ({(managers - 1) / 2}), and splits more easily. Use an odd number."
        : null;

    /// <summary>A manager counts when Docker says it is reachable (the leader is reported reachable too).</summary>
    public static bool IsReachable(ClusterNode manager) => manager.ManagerReachability is "reachable" || manager.IsLeader;
}
