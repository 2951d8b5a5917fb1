using ControlPlane.Core.Health;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.Health;

public class ClusterHealthTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static ClusterState Synced(params IClusterResource[] resources) =>
        ClusterState.Empty(Cluster()).Apply(resources.Select(ResourceChange.Upsert), Cluster() with { Status = ClusterStatus.Synced }).State;

    private static ClusterNode Manager(string id, string reachability = "reachable") =>
        Node(id) with { Role = "manager", ManagerReachability = reachability };

    [Fact]
    public void A_cluster_with_everything_ready_and_converged_is_healthy_with_no_reasons()
    {
        var web = Service("web", replicas: 1);
        var health = ClusterHealth.Evaluate(Synced(Manager("m1"), Node("w1"), web, TaskOf("t1", "web")), Now);

        Assert.Equal(HealthVerdict.Healthy, health.Verdict);
        Assert.Empty(health.Reasons);
        Assert.Equal((2, 2, 1, 1), (health.NodesTotal, health.NodesReady, health.ServicesTotal, health.ServicesConverged));
    }

    [Fact]
    public void Losing_quorum_is_critical_and_says_how_many_managers_are_needed()
    {
        var health = ClusterHealth.Evaluate(Synced(Manager("m1"), Manager("m2", "unreachable"), Manager("m3", "unreachable")), Now);

        Assert.Equal(HealthVerdict.Critical, health.Verdict);
        Assert.False(health.HasQuorum);
        Assert.Equal(2, health.QuorumNeeded);
        Assert.Contains(health.Reasons, r => r.Contains("lost quorum") && r.Contains("1 of 3 reachable, 2 needed"));
    }

    [Fact]
    public void One_unreachable_manager_of_three_is_a_warning_not_a_crisis()
    {
        var health = ClusterHealth.Evaluate(Synced(Manager("m1"), Manager("m2"), Manager("m3", "unreachable")), Now);

        Assert.Equal(HealthVerdict.Warning, health.Verdict);
        Assert.True(health.HasQuorum);
    }

    [Fact]
    public void Down_nodes_unconverged_services_and_recent_failures_are_named()
    {
        var web = Service("web", replicas: 3, name: "web");
        var failed = TaskOf("t9", "web", state: "failed", desired: "shutdown") with { Error = "task: non-zero exit (3)", UpdatedAt = Now.AddMinutes(-5) };
        var old = TaskOf("t8", "web", state: "failed", desired: "shutdown") with { Error = "long ago", UpdatedAt = Now.AddHours(-3) };
        var health = ClusterHealth.Evaluate(Synced(Manager("m1"), Node("w1", "down"), web, TaskOf("t1", "web"), failed, old), Now);

        Assert.Equal(HealthVerdict.Warning, health.Verdict);
        Assert.Contains(health.Reasons, r => r.Contains("host-w1 (down)"));
        Assert.Contains(health.Reasons, r => r.Contains("web 1/3"));
        var failing = Assert.Single(health.FailingTasks);
        Assert.Equal(("web", "task: non-zero exit (3)"), (failing.ServiceName, failing.Error));
    }

    [Fact]
    public void Failures_of_a_service_that_is_gone_need_no_attention()
    {
        var pulled = TaskOf("t7", "removed-pull-job", state: "rejected", desired: "shutdown") with { Error = "No such image: demo/app:nope", UpdatedAt = Now.AddMinutes(-2) };

        var health = ClusterHealth.Evaluate(Synced(Manager("m1"), pulled), Now);

        Assert.Equal(HealthVerdict.Healthy, health.Verdict);
        Assert.Empty(health.FailingTasks);
    }

    [Fact]
    public void A_service_that_is_updating_counts_as_an_update_not_as_unconverged()
    {
        var web = Service("web", replicas: 2) with { UpdateState = "updating", UpdateMessage = "update in progress" };
        var health = ClusterHealth.Evaluate(Synced(Manager("m1"), web, TaskOf("t1", "web")), Now);

        Assert.Equal(HealthVerdict.Healthy, health.Verdict);
        Assert.Single(health.UpdatesInProgress);
        Assert.Empty(health.ServicesNotConverged);
    }

    [Fact]
    public void A_paused_update_and_engine_version_skew_are_warnings()
    {
        var web = Service("web", replicas: 0) with { UpdateState = "paused", UpdateMessage = "update paused due to failure" };
        var health = ClusterHealth.Evaluate(Synced(Manager("m1"), Node("w1") with { EngineVersion = "24.0.7" }, web), Now);

        Assert.Equal(HealthVerdict.Warning, health.Verdict);
        Assert.Contains(health.Reasons, r => r.Contains("Update paused on svc-web: update paused due to failure"));
        Assert.True(health.HasVersionSkew);
        Assert.Contains(health.Reasons, r => r.Contains("24.0.7"));
    }

    [Fact]
    public void An_unreachable_cluster_is_critical()
    {
        var state = ClusterState.Empty(Cluster()).Apply([], Cluster() with { Status = ClusterStatus.Unreachable, Error = "connection refused" }).State;

        var health = ClusterHealth.Evaluate(state, Now);

        Assert.Equal(HealthVerdict.Critical, health.Verdict);
        Assert.Contains(health.Reasons, r => r.Contains("connection refused"));
    }
}
