using Bunit;
using Microsoft.AspNetCore.Components.Rendering;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class OverviewPageTests : LiveComponentTestContext
{
    [Fact]
    public void The_cards_count_ready_nodes_reachable_managers_converged_services_and_running_tasks()
    {
        var web = Service("web", replicas: 2);
        Upsert(ThreeNodeSwarm());
        Upsert(web, TaskOf(web, 1), TaskOf(web, 2), Service("api", replicas: 1));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Overview>();

        Assert.Equal("3 / 3", Card(cut, "nodes-ready"));
        Assert.Equal("1 / 1", Card(cut, "managers-reachable"));
        Assert.Equal("1 / 2", Card(cut, "services-converged"));
        Assert.Equal("2", Card(cut, "tasks-running"));
    }

    [Fact]
    public void A_node_going_down_lowers_the_ready_count()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Overview>();
        Assert.Equal("3 / 3", Card(cut, "nodes-ready"));

        Upsert(Node("node3", state: "down"));

        cut.WaitForAssertion(() => Assert.Equal("2 / 3", Card(cut, "nodes-ready")));
    }

    [Fact]
    public void A_service_converging_moves_the_converged_and_running_counts()
    {
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Overview>();
        Assert.Equal("0 / 0", Card(cut, "services-converged"));
        var web = Service("web", replicas: 2);

        Upsert(web, TaskOf(web, 1));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("0 / 1", Card(cut, "services-converged"));
            Assert.Equal("1", Card(cut, "tasks-running"));
        });

        Upsert(TaskOf(web, 2));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal("1 / 1", Card(cut, "services-converged"));
            Assert.Equal("2", Card(cut, "tasks-running"));
        });
    }

    [Fact]
    public void A_burst_of_a_thousand_task_changes_costs_only_a_handful_of_renders()
    {
        var web = Service("web", replicas: 1000);
        Upsert(web);
        SetStatus(ClusterStatus.Synced);
        var cut = Render<CountingOverview>();
        var rendersBefore = cut.Instance.Renders;

        var took = WriteSpreadOver(1000, TimeSpan.FromMilliseconds(500), slot => Upsert(TaskOf(web, slot)));
        Assert.True(took < TimeSpan.FromSeconds(1), $"the burst took {took}, too slow to test coalescing");

        cut.WaitForAssertion(() => Assert.Equal("1000", Card(cut, "tasks-running")));
        Assert.InRange(cut.Instance.Renders - rendersBefore, 1, 15);
    }

    private static string Card<T>(IRenderedComponent<T> cut, string testId) where T : Overview =>
        TextOf(cut.Find($"[data-testid={testId}] h4"));

    /// <summary>The page, counting its own renders (<c>cut.RenderCount</c> also counts every MudBlazor child's).</summary>
    private sealed class CountingOverview : Overview
    {
        private int _renders;

        public int Renders => Volatile.Read(ref _renders);

        protected override void BuildRenderTree(RenderTreeBuilder builder)
        {
            Interlocked.Increment(ref _renders);
            base.BuildRenderTree(builder);
        }
    }
}
