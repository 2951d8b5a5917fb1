using Bunit;
using Microsoft.AspNetCore.Components.Rendering;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class NodesPageTests : LiveComponentTestContext
{
    [Fact]
    public void While_connecting_it_says_it_is_waiting_for_the_first_listing()
    {
        var cut = Render<Nodes>();

        Assert.Contains("Waiting for the first listing of the cluster…", cut.Markup);
    }

    [Fact]
    public void A_synced_swarm_without_nodes_says_so_rather_than_waiting()
    {
        var cut = Render<Nodes>();

        SetStatus(ClusterStatus.Synced);

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("The swarm reports no nodes.", cut.Markup);
            Assert.DoesNotContain("Waiting for the first listing", cut.Markup);
        });
    }

    [Fact]
    public void The_first_listing_appears_with_managers_first_and_node_labels()
    {
        var cut = Render<Nodes>();

        Upsert(Node("b-worker"), Node("a-worker", labels: Labels.From([new("zone", "eu-1")])), Node("z-manager", role: "manager", leader: true));
        SetStatus(ClusterStatus.Synced);

        cut.WaitForAssertion(() =>
        {
            var hostnames = cut.FindAll("tbody tr td:first-child b").Select(b => b.TextContent).ToList();
            Assert.Equal(["z-manager", "a-worker", "b-worker"], hostnames);
        });
        Assert.Contains("leader", TextOf(RowWith(cut, "z-manager")));
        Assert.Contains("zone=eu-1", TextOf(RowWith(cut, "a-worker")));
    }

    [Fact]
    public void A_node_going_down_shows_as_down_without_a_reload()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Nodes>();
        Assert.Contains("ready", TextOf(RowWith(cut, "node2")));

        Upsert(Node("node2", state: "down"));

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("down", TextOf(RowWith(cut, "node2")));
            Assert.DoesNotContain("down", TextOf(RowWith(cut, "node3")));
        });
    }

    [Fact]
    public void A_drained_node_and_a_removed_node_show_at_once()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Nodes>();

        Upsert(Node("node3", availability: "drain"));
        Delete(Node("node2"));

        cut.WaitForAssertion(() =>
        {
            Assert.Equal(2, cut.FindAll("tbody tr").Count);
            Assert.Contains("drain", TextOf(RowWith(cut, "node3")));
            Assert.DoesNotContain("node2", cut.Markup);
        });
    }

    [Fact]
    public void A_burst_of_a_thousand_node_changes_costs_only_a_handful_of_renders()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        var cut = Render<CountingNodes>();
        var rendersBefore = cut.Instance.Renders;

        var took = WriteSpreadOver(1000, TimeSpan.FromMilliseconds(500), i =>
            Upsert(Node("node2", state: i % 2 == 0 ? "ready" : "down", labels: Labels.From([new("flap", i.ToString())]))));
        Assert.True(took < TimeSpan.FromSeconds(1), $"the burst took {took}, too slow to test coalescing");

        cut.WaitForAssertion(() => Assert.Contains("flap=1000", TextOf(RowWith(cut, "node2"))));
        Assert.InRange(cut.Instance.Renders - rendersBefore, 1, 15);
    }

    /// <summary>The page, counting its own renders (<c>cut.RenderCount</c> also counts every MudBlazor child's).</summary>
    private sealed class CountingNodes : Nodes
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
