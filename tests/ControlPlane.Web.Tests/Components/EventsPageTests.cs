using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using MudBlazor;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class EventsPageTests : LiveComponentTestContext
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddMinutes(-10);

    [Fact]
    public void A_synced_cluster_without_events_says_changes_appear_here_as_they_happen()
    {
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Events>();

        Assert.Contains("No events yet: changes in the cluster appear here as they happen.", TextOf(cut.Find("[data-testid=events-empty]")));
        Assert.Empty(cut.FindAll("[data-testid=event-row]"));
    }

    [Fact]
    public void Events_in_the_store_are_listed_newest_first_with_type_action_actor_scope_and_attributes()
    {
        Upsert(
            Event(1, "service", "create", "svc-web", "web"),
            Event(3, "container", "die", "c-1", "web.1.abc", attributes: [("image", "demo/app:1"), ("exitCode", "137")], scope: "local"),
            Event(2, "node", "update", "node-2", null));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Events>();

        Assert.Equal(["die", "update", "create"], Actions(cut));
        var newest = cut.FindAll("[data-testid=event-row]")[0];
        Assert.Contains("container", TextOf(newest));
        Assert.Contains("web.1.abc", TextOf(newest));
        Assert.Contains("local", TextOf(newest));
        Assert.Contains("exitCode=137", TextOf(newest));
        Assert.Contains("image=demo/app:1", TextOf(newest));
        Assert.Contains("ago", TextOf(newest));
        // A node event without a name shows the node's short id.
        Assert.Contains("node-2", TextOf(cut.FindAll("[data-testid=event-row]")[1]));
    }

    [Fact]
    public void The_actor_links_to_its_service_or_node_page_while_it_exists()
    {
        var web = Service("web");
        var node = Node("node1");
        Upsert(web, node, Event(1, "service", "update", web.Id, "web"), Event(2, "node", "update", node.Id, null), Event(3, "service", "remove", "svc-gone", "gone"));
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Events>();

        var links = cut.FindAll("[data-testid=event-actor] a").Select(a => a.GetAttribute("href")).ToList();
        Assert.Equal([$"nodes/{node.Id}", $"services/{web.Id}"], links);
        Assert.Contains("gone", TextOf(cut.FindAll("[data-testid=event-row]")[0]));
    }

    [Fact]
    public void A_new_event_appears_at_the_top_as_it_happens()
    {
        Upsert(Event(1, "service", "create", "svc-web", "web"));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Events>();
        Assert.Equal(["create"], Actions(cut));

        Upsert(Event(2, "service", "update", "svc-web", "web"));

        cut.WaitForAssertion(() => Assert.Equal(["update", "create"], Actions(cut)));
    }

    [Fact]
    public async Task Filters_by_type_action_and_text_narrow_the_feed()
    {
        Upsert(
            Event(1, "service", "create", "svc-web", "web"),
            Event(2, "service", "update", "svc-web", "web", attributes: [("updatestate.new", "updating")]),
            Event(3, "node", "update", "node-2", "cp-node2"),
            Event(4, "container", "start", "c-1", "api.1.xyz", attributes: [("image", "registry/shop/api:7")]));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Events>();

        await Select(cut, "Type", "service");
        cut.WaitForAssertion(() => Assert.Equal(["update", "create"], Actions(cut)));

        await Select(cut, "Action", "update");
        cut.WaitForAssertion(() => Assert.Equal(["update"], Actions(cut)));
        Assert.Contains("updatestate.new=updating", TextOf(cut.Find("[data-testid=event-row]")));

        await Select(cut, "Type", null);
        await Select(cut, "Action", null);
        cut.Find("input[data-testid=text-filter]").Input("shop/api");
        cut.WaitForAssertion(() => Assert.Equal(["start"], Actions(cut)));

        cut.Find("input[data-testid=text-filter]").Input("nothing-like-this");
        cut.WaitForAssertion(() => Assert.Contains("No event matches the filters.", TextOf(cut.Find("[data-testid=events-empty]"))));
    }

    [Fact]
    public void Pausing_holds_the_rows_and_counts_new_events_until_resumed()
    {
        Upsert(Event(1, "service", "create", "svc-web", "web"));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Events>();

        cut.Find("[data-testid=pause]").Click();
        Assert.Contains("0 new events", TextOf(cut.Find("[data-testid=new-count]")));

        Upsert(Event(2, "service", "update", "svc-web", "web"), Event(3, "node", "update", "node-2", "cp-node2"));

        cut.WaitForAssertion(() => Assert.Contains("2 new events", TextOf(cut.Find("[data-testid=new-count]"))));
        Assert.Equal(["create"], Actions(cut));
        Assert.Contains("Resume", TextOf(cut.Find("[data-testid=pause]")));

        cut.Find("[data-testid=pause]").Click();

        cut.WaitForAssertion(() => Assert.Equal(["update", "update", "create"], Actions(cut)));
        Assert.Empty(cut.FindAll("[data-testid=new-count]"));
    }

    [Fact]
    public void The_feed_renders_only_a_window_of_a_thousand_events()
    {
        Upsert(Enumerable.Range(1, 1000).Select(i => (IClusterResource)Event(i, "container", $"action-{i}", $"c-{i}", $"task-{i}")).ToArray());
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Events>();

        // Virtualized: bUnit gives Virtualize a viewport, so only a window of rows is in the DOM; the newest lead.
        var actions = Actions(cut);
        Assert.InRange(actions.Count, 1, 999);
        Assert.Equal("action-1000", actions[0]);
    }

    private static ClusterEvent Event(int second, string type, string action, string actorId, string? actorName,
        (string Key, string Value)[]? attributes = null, string scope = "swarm")
    {
        var time = Start.AddSeconds(second);
        var nanos = (time - DateTimeOffset.UnixEpoch).Ticks * 100;
        var all = (attributes ?? []).Select(a => new KeyValuePair<string, string>(a.Key, a.Value)).ToList();
        if (actorName is not null)
        {
            all.Add(new("name", actorName));
        }
        return new ClusterEvent($"{nanos:D20}-{type}-{action}-{actorId}", time, type, action, actorId, actorName, scope, Labels.From(all));
    }

    private static List<string> Actions(IRenderedComponent<Events> cut) =>
        cut.FindAll("[data-testid=event-action]").Select(TextOf).ToList();

    private static Task Select(IRenderedComponent<Events> cut, string label, string? value)
    {
        var select = cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == label);
        return cut.InvokeAsync(() => select.Instance.ValueChanged.InvokeAsync(value));
    }
}
