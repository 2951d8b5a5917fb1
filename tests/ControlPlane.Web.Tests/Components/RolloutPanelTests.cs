using AngleSharp.Dom;
using Bunit;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>The service page's rollout panel: the form prefilled from the service, live progress, history, refusals and the digest grid.</summary>
public sealed class RolloutPanelTests : LiveComponentTestContext
{
    private static readonly string DigestA = "sha256:" + new string('a', 64);
    private static readonly string DigestB = "sha256:" + new string('b', 64);

    private ClusterService ArrangeWeb(string image = "registry/demo/app:1", string? nodeOfSlot2 = "id-node2")
    {
        var web = Service("web", replicas: 2, image: image) with
        {
            Details = Service("web").Details with { Update = new UpdatePolicy(2, TimeSpan.FromSeconds(3), "rollback", TimeSpan.FromSeconds(4), 0.25, "start-first") },
        };
        var tasks = new[] { TaskOf(web, 1), TaskOf(web, 2) with { NodeId = nodeOfSlot2 } };
        Upsert(ThreeNodeSwarm());
        Upsert([web, .. tasks]);
        SetStatus(ClusterStatus.Synced);
        ImageChanges.Swarm[web.Id] = new RolloutStatus(web, tasks);
        return web;
    }

    [Fact]
    public void The_image_can_be_pulled_onto_the_nodes_the_service_may_run_on_before_the_rollout()
    {
        var web = ArrangeWeb();
        Upsert(web with { Details = web.Details with { Constraints = ValueList<string>.From(["node.hostname!=node1"]) } });
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        cut.Find("[data-testid=rollout-open]").Click();
        Input(cut, "rollout-image").Change("registry/demo/app:2");
        cut.Find("[data-testid=rollout-pull-first]").Click();

        cut.WaitForAssertion(() => Assert.Equal("succeeded", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        Assert.Equal(["pull registry/demo/app:2 on id-node2", "pull registry/demo/app:2 on id-node3"], ImageChanges.Calls.Where(c => c.StartsWith("pull", StringComparison.Ordinal)).Order().ToArray());
        Assert.DoesNotContain(ImageChanges.Calls, c => c.StartsWith("image", StringComparison.Ordinal));
        Assert.NotEmpty(cut.FindAll("[data-testid=rollout-start]"));
    }

    [Fact]
    public void An_operator_of_one_stack_rolls_out_but_gets_no_pull_button_since_pulling_concerns_the_whole_cluster()
    {
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(2, "tester", Role.Operator, AccessScope.OfStack(ClusterId, "shop")));
        Upsert(ArrangeWeb() with { Stack = "shop" });
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        cut.Find("[data-testid=rollout-open]").Click();

        Assert.NotEmpty(cut.FindAll("[data-testid=rollout-start]"));
        Assert.Empty(cut.FindAll("[data-testid=rollout-pull-first]"));
    }

    [Fact]
    public void Rolling_out_from_the_page_uses_the_prefilled_settings_shows_progress_and_lands_in_the_history()
    {
        ArrangeWeb();
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        cut.Find("[data-testid=rollout-open]").Click();
        Assert.Equal("registry/demo/app:1", Input(cut, "rollout-image").GetAttribute("value"));
        Assert.Equal("2", Input(cut, "rollout-parallelism").GetAttribute("value"));
        Assert.Equal("3", Input(cut, "rollout-delay").GetAttribute("value"));
        Assert.Equal("4", Input(cut, "rollout-monitor").GetAttribute("value"));
        Input(cut, "rollout-image").Change("registry/demo/app:2");
        cut.Find("[data-testid=rollout-start]").Click();

        cut.WaitForAssertion(() => Assert.Equal("succeeded", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        Assert.Contains($"image id-web registry/demo/app:2@{FakeImageChanges.Digest} parallelism=2 delay=3 failure=rollback monitor=4 order=start-first", ImageChanges.Calls);
        Assert.Contains("2 / 2", TextOf(cut.Find("[data-testid=operation-progress]")));
        cut.WaitForAssertion(() =>
        {
            var history = TextOf(cut.Find("[data-testid=rollout-history]"));
            Assert.Contains("registry/demo/app:2", history);
            Assert.Contains("parallelism 2", history);
            Assert.Contains("tester", history);
        });
    }

    [Fact]
    public void A_missing_image_is_refused_on_the_page_and_nothing_is_sent()
    {
        ArrangeWeb();
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        cut.Find("[data-testid=rollout-open]").Click();
        Input(cut, "rollout-image").Change("registry/demo/app:nope");
        cut.Find("[data-testid=rollout-start]").Click();

        cut.WaitForAssertion(() => Assert.Contains("The registry has no registry/demo/app:nope", TextOf(cut.Find("[data-testid=rollout-refusal]"))));
        Assert.DoesNotContain(ImageChanges.Calls, c => c.StartsWith("image", StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid=operation]"));
    }

    [Fact]
    public void A_viewer_sees_the_grid_and_history_but_no_rollout_buttons()
    {
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(1, "tester", Role.Viewer, AccessScope.Everywhere));
        var web = ArrangeWeb() with { UpdateState = "paused", Details = ArrangeWeb().Details with { PreviousImage = "registry/demo/app:0" } };
        Upsert(web);
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find("[data-testid=rollout-panel]")));
        Assert.Empty(cut.FindAll("[data-testid=rollout-open]"));
        Assert.Empty(cut.FindAll("[data-testid=rollout-resume]"));
        Assert.Empty(cut.FindAll("[data-testid=rollout-rollback]"));
        Assert.NotNull(cut.Find("[data-testid=drift-grid]"));
    }

    [Fact]
    public void Rolling_back_a_paused_service_starts_docker_s_rollback()
    {
        var web = ArrangeWeb() with { UpdateState = "paused", Details = ArrangeWeb().Details with { PreviousImage = "registry/demo/app:0" } };
        Upsert(web);
        ImageChanges.Swarm[web.Id] = ImageChanges.Swarm[web.Id] with { Service = web };
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        Assert.NotNull(cut.Find("[data-testid=rollout-resume]"));
        cut.Find("[data-testid=rollout-rollback]").Click();

        cut.WaitForAssertion(() => Assert.Equal("succeeded", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        Assert.Contains("rollback id-web", ImageChanges.Calls);
    }

    [Fact]
    public void The_grid_shows_which_digest_runs_on_which_node_and_warns_when_they_differ()
    {
        var web = ArrangeWeb(image: $"registry/demo/app:2@{DigestA}");
        Upsert(TaskOf(web, 1), TaskOf(web, 2) with { NodeId = "id-node2", Image = $"registry/demo/app:2@{DigestB}" });
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        cut.WaitForAssertion(() => Assert.Contains("Image differs on 1 node", TextOf(cut.Find("[data-testid=drift-warning]"))));
        var rows = cut.FindAll("[data-testid=drift-row]");
        Assert.Equal(["node1", "node2"], rows.Select(r => TextOf(r.Children[0])).ToArray());
        Assert.Contains("(wanted)", TextOf(cut.Find("[data-testid=drift-grid] thead")));
    }

    private static IElement Input(IRenderedComponent<ServiceDetail> cut, string testId)
    {
        var element = cut.Find($"[data-testid={testId}]");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input")!;
    }
}
