namespace ControlPlane.Core.State;

/// <summary>The counts a team lead reads first.</summary>
public sealed record ClusterSummary(int Nodes, int NodesReady, int Managers, int ManagersReachable, int Services, int ServicesConverged, int TasksRunning)
{
    public static ClusterSummary Of(ClusterState state)
    {
        var nodes = state.Nodes.ToList();
        var managers = nodes.Where(n => n.Role == "manager").ToList();
        var services = state.Services.ToList();
        return new ClusterSummary(
            nodes.Count,
            nodes.Count(n => n.State == "ready"),
            managers.Count,
            managers.Count(m => m.ManagerReachability == "reachable"),
            services.Count,
            services.Count(s => s.IsConverged),
            state.Tasks.Count(t => t.IsRunning));
    }
}
