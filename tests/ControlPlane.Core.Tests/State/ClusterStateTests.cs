using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.State;

public class ClusterStateTests
{
    [Fact]
    public void Applying_a_change_gives_a_new_version_and_leaves_the_old_state_alone()
    {
        var empty = ClusterState.Empty(Cluster());

        var (state, effective) = empty.Apply([ResourceChange.Upsert(Node("n1"))]);

        Assert.Equal(1, state.Version);
        Assert.Single(effective);
        Assert.Single(state.Nodes);
        Assert.Empty(empty.Nodes);
        Assert.Equal(0, empty.Version);
    }

    [Fact]
    public void Upserting_an_equal_object_or_deleting_an_absent_one_changes_nothing()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([ResourceChange.Upsert(Node("n1"))]);

        var (same, effective) = state.Apply([ResourceChange.Upsert(Node("n1")), ResourceChange.Delete(ResourceKind.Node, "nope")]);

        Assert.Same(state, same);
        Assert.Empty(effective);
    }

    [Fact]
    public void Labels_compare_by_content()
    {
        var a = Node("n1") with { Labels = Labels.From(new Dictionary<string, string> { ["zone"] = "a" }) };
        var b = Node("n1") with { Labels = Labels.From(new Dictionary<string, string> { ["zone"] = "a" }) };
        var (state, _) = ClusterState.Empty(Cluster()).Apply([ResourceChange.Upsert(a)]);

        var (_, effective) = state.Apply([ResourceChange.Upsert(b)]);

        Assert.Empty(effective);
    }

    [Fact]
    public void A_deleted_object_is_gone_and_the_delete_is_published()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([ResourceChange.Upsert(Node("n1")), ResourceChange.Upsert(Node("n2"))]);

        var (after, effective) = state.Apply([ResourceChange.Delete(ResourceKind.Node, "n1")]);

        Assert.Equal(["n2"], after.Nodes.Select(n => n.Id));
        Assert.Equal(ChangeType.Delete, Assert.Single(effective).Type);
    }

    [Fact]
    public void Running_replicas_follow_the_tasks_and_the_service_change_is_published()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([ResourceChange.Upsert(Service("s1", replicas: 3))]);

        var (after, effective) = state.Apply([
            ResourceChange.Upsert(TaskOf("t1", "s1")),
            ResourceChange.Upsert(TaskOf("t2", "s1")),
            ResourceChange.Upsert(TaskOf("t3", "s1", state: "starting")),
        ]);

        var service = Assert.Single(after.Services);
        Assert.Equal(2, service.ReplicasRunning);
        Assert.False(service.IsConverged);
        Assert.Contains(effective, c => c.Kind == ResourceKind.Service && ((ClusterService)c.Resource!).ReplicasRunning == 2);
    }

    [Fact]
    public void A_task_that_is_being_shut_down_does_not_count_as_a_running_replica()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([
            ResourceChange.Upsert(Service("s1", replicas: 1)),
            ResourceChange.Upsert(TaskOf("old", "s1", desired: "shutdown")),
            ResourceChange.Upsert(TaskOf("new", "s1")),
        ]);

        Assert.Equal(1, Assert.Single(state.Services).ReplicasRunning);
    }

    [Fact]
    public void A_global_service_wants_one_replica_per_task_scheduled_to_run()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([
            ResourceChange.Upsert(Service("g", mode: "global")),
            ResourceChange.Upsert(TaskOf("t1", "g", node: "n1")),
            ResourceChange.Upsert(TaskOf("t2", "g", state: "preparing", node: "n2")),
        ]);

        var service = Assert.Single(state.Services);
        Assert.Equal(2, service.ReplicasDesired);
        Assert.Equal(1, service.ReplicasRunning);
    }

    [Fact]
    public void Re_upserting_a_service_keeps_its_derived_counts_and_publishes_nothing()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([
            ResourceChange.Upsert(Service("s1", replicas: 1)),
            ResourceChange.Upsert(TaskOf("t1", "s1")),
        ]);

        var (same, effective) = state.Apply([ResourceChange.Upsert(Service("s1", replicas: 1))]);

        Assert.Same(state, same);
        Assert.Empty(effective);
        Assert.Equal(1, Assert.Single(same.Services).ReplicasRunning);
    }

    [Fact]
    public void Changes_to_match_a_listing_delete_only_what_is_missing_within_the_scope()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([
            ResourceChange.Upsert(TaskOf("a1", "a")),
            ResourceChange.Upsert(TaskOf("a2", "a")),
            ResourceChange.Upsert(TaskOf("b1", "b")),
        ]);

        var changes = state.ChangesToMatch(ResourceKind.Task, [TaskOf("a1", "a"), TaskOf("a3", "a")], t => ((ClusterTask)t).ServiceId == "a");
        var (after, effective) = state.Apply(changes);

        Assert.Equal(["a1", "a3", "b1"], after.Tasks.Select(t => t.Id).Order());
        Assert.Equal(2, effective.Count(c => c.Kind == ResourceKind.Task));
    }

    [Fact]
    public void Finding_a_service_accepts_id_name_or_unique_id_prefix()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([
            ResourceChange.Upsert(Service("abc123", name: "web")),
            ResourceChange.Upsert(Service("abd456", name: "api")),
        ]);

        Assert.Equal("web", state.FindService("abc123")?.Name);
        Assert.Equal("api", state.FindService("api")?.Name);
        Assert.Equal("web", state.FindService("abc")?.Name);
        Assert.Null(state.FindService("ab"));
        Assert.Null(state.FindService("nope"));
    }

    [Fact]
    public void An_older_version_of_a_swarm_object_does_not_overwrite_a_newer_one()
    {
        var newer = Node("n1", "down") with { ObjectVersion = 12 };
        var (state, _) = ClusterState.Empty(Cluster()).Apply([ResourceChange.Upsert(newer)]);

        // A listing that started before the event's inspect arrives after it.
        var (after, effective) = state.Apply([ResourceChange.Upsert(Node("n1", "ready") with { ObjectVersion = 11 })]);

        Assert.Empty(effective);
        Assert.Equal("down", Assert.Single(after.Nodes).State);
        Assert.Equal("ready", Assert.Single(after.Apply([ResourceChange.Upsert(Node("n1", "ready") with { ObjectVersion = 13 })]).State.Nodes).State);
    }
}
