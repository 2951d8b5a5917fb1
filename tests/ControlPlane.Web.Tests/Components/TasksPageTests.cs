using AngleSharp.Dom;
using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class TasksPageTests : LiveComponentTestContext
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    [Fact]
    public void A_row_links_its_service_and_node_and_shows_state_image_and_container()
    {
        var web = Service("web", image: "shop/web:2@sha256:0123456789abcdef");
        Upsert(ThreeNodeSwarm());
        Upsert(web, TaskOf(web, 1));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Tasks>();

        var row = Assert.Single(Rows(cut));
        var links = row.QuerySelectorAll("a").Select(a => (TextOf(a), a.GetAttribute("href"))).ToList();
        Assert.Contains(("web.1", "services/id-web"), links);
        Assert.Contains(("node1", "nodes/id-node1"), links);
        var text = TextOf(row);
        Assert.Contains("running", text);
        Assert.Contains("shop/web:2", text);
        Assert.DoesNotContain("sha256", text);
        Assert.Contains("container-we", text);
        Assert.NotNull(row.QuerySelector("[title='container-web-1']"));
    }

    [Fact]
    public void A_task_failing_shows_its_error_in_red_with_the_full_text_on_hover()
    {
        var web = Service("web");
        Upsert(web, TaskOf(web, 1));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Tasks>();
        const string error = "task: non-zero exit (137): the container was killed because it ran out of memory";

        Upsert(TaskOf(web, 1, state: "failed") with { Error = error, DesiredState = "shutdown" });

        cut.WaitForAssertion(() =>
        {
            var cell = Assert.Single(Rows(cut)).QuerySelector("[data-testid=task-error]")!;
            Assert.Equal(error, cell.GetAttribute("title"));
            Assert.Contains("task-error", cell.ClassName);
            Assert.Contains("failed", TextOf(Rows(cut)[0]));
        });
    }

    [Fact]
    public void Tasks_are_grouped_by_service_and_newest_first_within_a_service()
    {
        var api = Service("api");
        var web = Service("web");
        Upsert(
            web, api,
            TaskOf(web, 1) with { Id = "old", UpdatedAt = Now.AddMinutes(-30), State = "shutdown" },
            TaskOf(web, 1) with { Id = "new", UpdatedAt = Now.AddMinutes(-1) },
            TaskOf(api, 1) with { UpdatedAt = Now.AddHours(-5) });
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Tasks>();

        var order = Rows(cut).Select(r => TextOf(r.QuerySelector("a")!) + " " + StateOf(r)).ToList();
        Assert.Equal(["api.1 running", "web.1 running", "web.1 shutdown"], order);
    }

    [Fact]
    public void Five_thousand_tasks_render_only_the_rows_in_view()
    {
        var web = Service("web", replicas: 5000);
        Upsert(web);
        Store.Apply(ClusterId, Enumerable.Range(1, 5000).Select(slot => Core.State.ResourceChange.Upsert(TaskOf(web, slot))));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Tasks>();

        Assert.Contains("5000 of 5000 tasks", cut.Find("[data-testid=task-count]").TextContent);
        var rendered = Rows(cut).Count;
        Assert.InRange(rendered, 1, 500);
    }

    [Fact]
    public void Query_parameters_filter_by_service_name_and_state()
    {
        var web = Service("web", replicas: 3);
        var api = Service("api", replicas: 1);
        Upsert(web, api, TaskOf(web, 1), TaskOf(web, 2, state: "failed"), TaskOf(web, 3, state: "failed"), TaskOf(api, 1, state: "failed"));
        SetStatus(ClusterStatus.Synced);
        Services.GetRequiredService<NavigationManager>().NavigateTo("/tasks?service=web&state=failed");

        var cut = Render<Tasks>();

        var names = Rows(cut).Select(r => TextOf(r.QuerySelector("a")!)).Order().ToList();
        Assert.Equal(["web.2", "web.3"], names);
    }

    [Fact]
    public void A_node_query_takes_a_hostname_and_a_service_query_takes_an_id()
    {
        var web = Service("web", replicas: 2);
        Upsert(ThreeNodeSwarm());
        Upsert(web, TaskOf(web, 1), TaskOf(web, 2) with { NodeId = "id-node2" });
        SetStatus(ClusterStatus.Synced);
        Services.GetRequiredService<NavigationManager>().NavigateTo("/tasks?service=id-web&node=node2");

        var cut = Render<Tasks>();

        Assert.Equal("web.2", TextOf(Assert.Single(Rows(cut)).QuerySelector("a")!));
    }

    [Fact]
    public void A_filter_that_excludes_everything_says_nothing_matches_and_tasks_arriving_later_appear()
    {
        var web = Service("web", replicas: 2);
        Upsert(web, TaskOf(web, 1));
        SetStatus(ClusterStatus.Synced);
        Services.GetRequiredService<NavigationManager>().NavigateTo("/tasks?state=failed");
        var cut = Render<Tasks>();
        Assert.Contains("No task matches these filters.", cut.Find("[data-testid=tasks-empty]").TextContent);

        Upsert(TaskOf(web, 2, state: "failed"));

        cut.WaitForAssertion(() => Assert.Equal("web.2", TextOf(Assert.Single(Rows(cut)).QuerySelector("a")!)));
    }

    [Fact]
    public void The_running_only_toggle_hides_tasks_not_meant_to_run()
    {
        var web = Service("web", replicas: 1);
        Upsert(web, TaskOf(web, 1), TaskOf(web, 1, state: "shutdown") with { Id = "old", DesiredState = "shutdown" });
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Tasks>();
        Assert.Equal(2, Rows(cut).Count);

        // MudSwitch puts the test id on its checkbox.
        cut.Find("input[data-testid=filter-running]").Change(true);

        cut.WaitForAssertion(() => Assert.Equal("running", StateOf(Assert.Single(Rows(cut)))));
    }

    private static IReadOnlyList<IElement> Rows(IRenderedComponent<Tasks> cut) => cut.FindAll("[data-testid=task-row]");

    private static string StateOf(IElement row) => TextOf(row.QuerySelector(".mud-chip")!);
}
