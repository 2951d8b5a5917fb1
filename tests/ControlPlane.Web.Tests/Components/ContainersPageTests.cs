using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class ContainersPageTests : LiveComponentTestContext
{
    [Fact]
    public void A_task_container_shows_its_node_and_links_to_its_service_tasks_and_logs()
    {
        var web = Service("web");
        Upsert(ThreeNodeSwarm());
        Upsert(web, Container("web.1.abc", service: web, image: "shop/web:2@sha256:0123456789abcdef"), Container("scratchpad", state: "exited"));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Containers>();

        var row = RowWith(cut, "web.1.abc");
        var text = TextOf(row);
        Assert.Contains("node1", text);
        Assert.Contains("shop/web:2", text);
        Assert.DoesNotContain("sha256", text);
        Assert.Contains("Up 5 minutes", text);
        var hrefs = row.QuerySelectorAll("a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Contains("services/id-web", hrefs);
        Assert.Contains("tasks?service=id-web", hrefs);
        Assert.Contains("logs?container=container-web.1.abc", hrefs);
        Assert.Contains("nodes/id-node1", hrefs);
        Assert.Contains("exited", TextOf(RowWith(cut, "scratchpad")));
    }

    [Fact]
    public void A_container_stopping_and_a_new_one_starting_show_without_a_reload()
    {
        Upsert(Container("db"));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Containers>();

        Upsert(Container("db", state: "exited"), Container("cache"));

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("exited", TextOf(RowWith(cut, "db")));
            Assert.Contains("running", TextOf(RowWith(cut, "cache")));
        });
    }

    [Fact]
    public void The_text_filter_matches_names_images_and_nodes_and_says_when_nothing_matches()
    {
        Upsert(ThreeNodeSwarm());
        Upsert(Container("db", image: "postgres:17"), Container("cache", image: "redis:7", nodeId: "id-node2"));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Containers>();

        cut.Find("input[placeholder*=Filter]").Input("node2");

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("cache", cut.Find("tbody").TextContent);
            Assert.DoesNotContain("postgres", cut.Find("tbody").TextContent);
        });

        cut.Find("input[placeholder*=Filter]").Input("zzz");

        cut.WaitForAssertion(() => Assert.Contains("No container matches these filters.", cut.Find("tbody").TextContent));
    }
}
