using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class StacksPageTests : LiveComponentTestContext
{
    [Fact]
    public void Services_are_grouped_by_stack_with_the_services_outside_any_stack_last()
    {
        var web = Service("web", replicas: 2, stack: "shop");
        var api = Service("api", replicas: 1, stack: "shop");
        var grafana = Service("grafana", replicas: 1, stack: "monitoring");
        var adhoc = Service("adhoc", replicas: 1);
        Upsert(web, api, grafana, adhoc, TaskOf(web, 1), TaskOf(api, 1), TaskOf(grafana, 1), TaskOf(adhoc, 1));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Stacks>();

        var names = cut.FindAll("[data-testid=stack-name]").Select(b => b.TextContent).ToList();
        Assert.Equal(["monitoring", "shop", "(no stack)"], names);
        var shop = StackRow(cut, "shop");
        Assert.Equal("2", Cell(shop, "stack-services"));
        Assert.Equal("1 / 2", Cell(shop, "stack-converged"));
        Assert.Equal("2 / 3", Cell(shop, "stack-tasks"));
        Assert.Equal("degraded", Cell(shop, "stack-health"));
        Assert.Equal("healthy", Cell(StackRow(cut, "monitoring"), "stack-health"));
    }

    [Fact]
    public void A_stack_turns_failing_and_counts_failed_tasks_as_they_happen()
    {
        var web = Service("web", replicas: 1, stack: "shop");
        Upsert(web, TaskOf(web, 1));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Stacks>();
        Assert.Equal("healthy", Cell(StackRow(cut, "shop"), "stack-health"));

        Upsert(TaskOf(web, 1, state: "failed") with { UpdatedAt = DateTimeOffset.UtcNow, Error = "task: non-zero exit (1)" });

        cut.WaitForAssertion(() =>
        {
            var shop = StackRow(cut, "shop");
            Assert.Equal("failing", Cell(shop, "stack-health"));
            Assert.Equal("1", Cell(shop, "stack-failing"));
            Assert.Equal("0 / 1", Cell(shop, "stack-tasks"));
        });
    }

    [Fact]
    public void Failures_older_than_an_hour_no_longer_count()
    {
        var web = Service("web", replicas: 1, stack: "shop");
        Upsert(web, TaskOf(web, 1), TaskOf(web, 9, state: "failed") with { UpdatedAt = DateTimeOffset.UtcNow.AddHours(-2) });
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Stacks>();

        Assert.Equal("0", Cell(StackRow(cut, "shop"), "stack-failing"));
        Assert.Equal("healthy", Cell(StackRow(cut, "shop"), "stack-health"));
    }

    [Fact]
    public void Expanding_a_stack_lists_its_services_with_links_images_without_digest_and_update_state()
    {
        var web = Service("web", replicas: 1, stack: "shop", image: "shop/web:2@sha256:0123456789abcdef", updateState: "updating");
        Upsert(web, TaskOf(web, 1));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Stacks>();
        Assert.Empty(cut.FindAll("[data-testid=stack-service]"));

        cut.Find("[data-testid=stack-toggle]").Click();

        var row = cut.Find("[data-testid=stack-service]");
        var text = TextOf(row);
        Assert.Contains("shop/web:2", text);
        Assert.DoesNotContain("sha256", text);
        Assert.Contains("updating", text);
        Assert.Contains("1 / 1", text);
        Assert.Equal("services/id-web", row.QuerySelector("a.mud-link")!.GetAttribute("href"));
        Assert.Equal("1", Cell(StackRow(cut, "shop"), "stack-updating"));
    }

    [Fact]
    public void An_expanded_stack_stays_open_and_shows_a_service_added_to_it()
    {
        var web = Service("web", replicas: 1, stack: "shop");
        Upsert(web, TaskOf(web, 1));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Stacks>();
        cut.Find("[data-testid=stack-toggle]").Click();

        Upsert(Service("api", replicas: 1, stack: "shop"));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=stack-service]").Count));
    }

    [Fact]
    public void The_filter_matches_stack_or_service_names_and_says_when_nothing_matches()
    {
        Upsert(Service("web", stack: "shop"), Service("grafana", stack: "monitoring"));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Stacks>();

        cut.Find("input").Input("graf");

        cut.WaitForAssertion(() => Assert.Equal(["monitoring"], cut.FindAll("[data-testid=stack-name]").Select(b => b.TextContent)));

        cut.Find("input").Input("zzz");

        cut.WaitForAssertion(() => Assert.Contains("No stack or service matches 'zzz'.", cut.Find("tbody").TextContent));
    }

    /// <summary>The summary row of a stack (an expanded stack adds a row of its own below it).</summary>
    private static AngleSharp.Dom.IElement StackRow(IRenderedComponent<Stacks> cut, string stack) =>
        cut.FindAll("[data-testid=stack-name]").Single(b => b.TextContent == stack).Closest("tr")!;

    private static string Cell(AngleSharp.Dom.IElement row, string testId) => TextOf(row.QuerySelector($"[data-testid={testId}]")!);
}
