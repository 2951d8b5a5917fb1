using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>The Images page's distribute panel: chosen nodes only, per-node results, hidden from those who may not distribute.</summary>
public sealed class DistributePanelTests : LiveComponentTestContext
{
    [Fact]
    public void Distributing_to_ticked_nodes_pulls_there_only_and_shows_each_node_s_result()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Images>();

        cut.Find("[data-testid=distribute-open]").Click();
        Input(cut, "distribute-image").Change("registry/demo/app:2");
        Input(cut, "distribute-node-node2").Change(true);
        Input(cut, "distribute-node-node3").Change(true);
        Assert.Contains("Pull on 2 nodes", cut.Find("[data-testid=distribute-start]").TextContent);
        cut.Find("[data-testid=distribute-start]").Click();

        cut.WaitForAssertion(() => Assert.Equal("succeeded", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        Assert.Equal(["pull registry/demo/app:2 on id-node2", "pull registry/demo/app:2 on id-node3"], ImageChanges.Calls.Where(c => c.StartsWith("pull", StringComparison.Ordinal)).Order().ToArray());
        Assert.Equal(2, ImageChanges.Calls.Count(c => c.StartsWith("remove", StringComparison.Ordinal)));
        var steps = TextOf(cut.Find("[data-testid=operation-steps]"));
        Assert.Contains("node2", steps);
        Assert.Contains("node3", steps);
        Assert.DoesNotContain("node1", steps);
    }

    [Fact]
    public void A_missing_image_fails_on_each_node_with_its_error()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Images>();

        cut.Find("[data-testid=distribute-open]").Click();
        Input(cut, "distribute-image").Change("registry/demo/app:nope");
        cut.Find("[data-testid=distribute-start]").Click();

        cut.WaitForAssertion(() => Assert.Equal("failed", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        Assert.Contains("3 of 3 nodes do not have registry/demo/app:nope", TextOf(cut.Find("[data-testid=operation-error]")));
        Assert.Contains("No such image", TextOf(cut.Find("[data-testid=operation-steps]")));
    }

    [Fact]
    public void A_viewer_gets_no_distribute_panel()
    {
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(1, "tester", Role.Viewer, AccessScope.Everywhere));
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Images>();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=images-table]")));
        Assert.Empty(cut.FindAll("[data-testid=distribute-panel]"));
    }

    private static AngleSharp.Dom.IElement Input(IRenderedComponent<Images> cut, string testId)
    {
        var element = cut.Find($"[data-testid={testId}]");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input")!;
    }
}

/// <summary>The Images page names services whose tasks run another digest than their spec asks for.</summary>
public sealed class ImagesDriftTests : LiveComponentTestContext
{
    [Fact]
    public void Services_running_another_digest_on_some_nodes_are_named_with_those_nodes()
    {
        var wanted = "sha256:" + new string('a', 64);
        var web = Service("web", replicas: 2, image: $"registry/demo/app:2@{wanted}");
        Upsert(ThreeNodeSwarm());
        Upsert(web, TaskOf(web, 1), TaskOf(web, 2) with { NodeId = "id-node3", Image = "registry/demo/app:2@sha256:" + new string('b', 64) });
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Images>();

        cut.WaitForAssertion(() => Assert.Equal("web: image differs on 1 node (node3)", TextOf(cut.Find("[data-testid=images-drift]"))));
    }
}
