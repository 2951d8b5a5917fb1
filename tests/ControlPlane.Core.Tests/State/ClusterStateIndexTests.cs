using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using static ControlPlane.Core.Tests.State.Resources;

namespace ControlPlane.Core.Tests.State;

/// <summary>The indexes that keep work per change independent of the cluster's size (DESIGN §11) stay true as objects come and go.</summary>
public class ClusterStateIndexTests
{
    private static ClusterService InStack(string id, string? stack) => Service(id) with { Stack = stack };

    [Fact]
    public void Changes_to_match_a_services_tasks_touch_only_that_services_tasks()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([
            ResourceChange.Upsert(TaskOf("a1", "a")),
            ResourceChange.Upsert(TaskOf("a2", "a")),
            ResourceChange.Upsert(TaskOf("b1", "b")),
        ]);

        var changes = state.ChangesToMatchTasks(new HashSet<string> { "a" }, [TaskOf("a1", "a"), TaskOf("a3", "a")]);
        var (after, effective) = state.Apply(changes);

        Assert.Equal(["a1", "a3", "b1"], after.Tasks.Select(t => t.Id).Order());
        Assert.Equal(["a2"], changes.Where(c => c.Type == ChangeType.Delete).Select(c => c.Id));
        Assert.Equal(2, effective.Count(c => c.Kind == ResourceKind.Task));
    }

    [Fact]
    public void Tasks_by_node_follow_a_task_that_moves_and_one_that_goes()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([
            ResourceChange.Upsert(TaskOf("t1", "a", node: "n1")),
            ResourceChange.Upsert(TaskOf("t2", "a", node: "n1")),
            ResourceChange.Upsert(TaskOf("t3", "a", node: null)),
        ]);
        Assert.Equal(["t1", "t2"], state.TasksOn("n1").Select(t => t.Id).Order());

        (state, _) = state.Apply([ResourceChange.Upsert(TaskOf("t1", "a", node: "n2")), ResourceChange.Delete(ResourceKind.Task, "t2")]);

        Assert.Empty(state.TasksOn("n1"));
        Assert.Equal("t1", Assert.Single(state.TasksOn("n2")).Id);
    }

    [Fact]
    public void Services_by_stack_follow_a_relabelled_and_a_removed_service()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([
            ResourceChange.Upsert(InStack("s1", "shop")),
            ResourceChange.Upsert(InStack("s2", "shop")),
            ResourceChange.Upsert(InStack("s3", null)),
        ]);
        Assert.Equal(["s1", "s2"], state.ServicesIn("shop").Select(s => s.Id).Order());

        (state, _) = state.Apply([ResourceChange.Upsert(InStack("s1", "blog")), ResourceChange.Delete(ResourceKind.Service, "s2")]);

        Assert.Empty(state.ServicesIn("shop"));
        Assert.Equal("s1", Assert.Single(state.ServicesIn("blog")).Id);
        // A derived count changing (a task of s1 runs) keeps the service where it is in the index.
        (state, _) = state.Apply([ResourceChange.Upsert(TaskOf("t1", "s1"))]);
        Assert.Equal(1, Assert.Single(state.ServicesIn("blog")).ReplicasRunning);
    }

    [Fact]
    public void A_stack_callers_view_from_the_indexes_equals_testing_every_object()
    {
        var (state, _) = ClusterState.Empty(Cluster()).Apply([
            ResourceChange.Upsert(Node("n1")),
            ResourceChange.Upsert(InStack("s1", "shop")),
            ResourceChange.Upsert(InStack("s2", "blog")),
            ResourceChange.Upsert(InStack("s3", null)),
            ResourceChange.Upsert(TaskOf("t1", "s1")),
            ResourceChange.Upsert(TaskOf("t2", "s2")),
            ResourceChange.Upsert(TaskOf("t3", "s3")),
            ResourceChange.Upsert(TaskOf("t4", "gone")),
        ]);
        var visibility = ClusterVisibility.For([new Grant(1, "u", Role.Viewer, AccessScope.OfStack("c1", "shop"))], "c1");

        var indexed = visibility.Apply(state);
        var scanned = state.Where(r => visibility.CanSee(r, state));

        foreach (var kind in Enum.GetValues<ResourceKind>())
        {
            Assert.Equal(scanned.All(kind).Select(r => r.Id).Order(), indexed.All(kind).Select(r => r.Id).Order());
        }
        Assert.Equal(["s1"], indexed.Services.Select(s => s.Id));
        Assert.Equal(["t1"], indexed.TasksOf("s1").Select(t => t.Id));
        Assert.Equal(["t1"], indexed.TasksOn("n1").Select(t => t.Id));
        Assert.Equal(state.Version, indexed.Version);
    }
}
