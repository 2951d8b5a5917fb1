using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Web.Components.Pages;
using MudBlazor;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>The node page's actions: role, labels, removal and join tokens, each for whoever may.</summary>
public sealed class NodeActionsTests : LiveComponentTestContext
{
    private IRenderedComponent<NodeDetail> RenderNode(string hostname) => Render<NodeDetail>(p => p.Add(x => x.NodeId, hostname));

    [Fact]
    public void Demoting_the_only_manager_is_refused_with_the_reason_in_words()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        var dialogs = Render<MudDialogProvider>();
        var cut = RenderNode("node1");

        cut.Find("[data-testid=node-demote]").Click();
        dialogs.WaitForElement(FormFields.MessageBoxYes).Click();

        cut.WaitForAssertion(() => Assert.Contains("is the only manager", TextOf(cut.Find("[data-testid=node-outcome]"))));
        Assert.Contains("mud-alert-text-error", cut.Find("[data-testid=node-outcome]").ClassName);
        Assert.Empty(WorkloadChanges.Calls);
    }

    [Fact]
    public void Promoting_to_an_even_number_of_managers_succeeds_with_the_warning_shown()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        var dialogs = Render<MudDialogProvider>();
        var cut = RenderNode("node2");

        cut.Find("[data-testid=node-promote]").Click();
        dialogs.WaitForElement(FormFields.MessageBoxYes).Click();

        cut.WaitForAssertion(() => Assert.Contains("2 managers, an even number", TextOf(cut.Find("[data-testid=node-outcome]"))));
        Assert.Contains("mud-alert-text-warning", cut.Find("[data-testid=node-outcome]").ClassName);
        Assert.Equal(["role id-node2 manager"], WorkloadChanges.Calls);
    }

    [Fact]
    public void Labels_are_edited_in_place_and_each_says_which_services_constraints_use_it()
    {
        var labels = Labels.From(new Dictionary<string, string> { ["zone"] = "a", ["disk"] = "ssd" });
        Upsert(Node("node1", role: "manager", leader: true, labels: labels));
        Upsert(Service("db") with { Details = Service("db").Details with { Constraints = ValueList<string>.From(["node.labels.disk == ssd"]) } });
        SetStatus(ClusterStatus.Synced);
        var cut = RenderNode("node1");

        var usage = cut.FindAll("[data-testid=node-label]").ToDictionary(r => r.QuerySelector("th")!.TextContent, TextOf);
        Assert.Contains("used by the placement constraints of db", usage["disk"]);
        Assert.Contains("no placement constraint uses it", usage["zone"]);

        cut.Find("[data-testid=node-labels-edit]").Click();
        var zone = cut.FindAll("[data-testid=node-labels-editor] [data-testid=kv-row]").Single(r => r.QuerySelector("input[data-testid=kv-key]")!.GetAttribute("value") == "zone");
        zone.QuerySelector("input[data-testid=kv-value]")!.Input("b");
        cut.Find("[data-testid=node-labels-editor] [data-testid=kv-add]").Click();
        var added = cut.FindAll("[data-testid=node-labels-editor] [data-testid=kv-row]").Last();
        added.QuerySelector("input[data-testid=kv-key]")!.Input("rack");
        cut.FindAll("[data-testid=node-labels-editor] [data-testid=kv-row]").Last().QuerySelector("input[data-testid=kv-value]")!.Input("r1");
        cut.FindAll("[data-testid=node-labels-editor] [data-testid=kv-row]").Single(r => r.QuerySelector("input[data-testid=kv-key]")!.GetAttribute("value") == "disk")
            .QuerySelector("[data-testid=kv-remove]")!.Click();
        cut.Find("[data-testid=node-labels-save]").Click();

        cut.WaitForAssertion(() => Assert.Equal(["labels id-node1 rack=r1,zone=b"], WorkloadChanges.Calls));
    }

    [Fact]
    public void A_node_that_is_up_cannot_be_removed_and_a_down_one_needs_its_hostname_typed()
    {
        Upsert(ThreeNodeSwarm());
        Upsert(Node("node3", state: "down"));
        SetStatus(ClusterStatus.Synced);
        var dialogs = Render<MudDialogProvider>();

        Assert.True(RenderNode("node2").Find("[data-testid=node-remove]").HasAttribute("disabled"));
        var cut = RenderNode("node3");
        cut.Find("[data-testid=node-remove]").Click();
        dialogs.Field("confirm-by-name-input").Input("node");
        Assert.True(dialogs.Find("[data-testid=confirm-by-name-confirm]").HasAttribute("disabled"));
        dialogs.Field("confirm-by-name-input").Input("node3");
        dialogs.Find("[data-testid=confirm-by-name-confirm]").Click();

        cut.WaitForAssertion(() => Assert.Equal(["remove node id-node3"], WorkloadChanges.Calls));
    }

    [Fact]
    public void An_admin_reveals_the_join_tokens_on_click_and_they_never_reach_the_audit_log()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        var cut = RenderNode("node1");
        Assert.DoesNotContain(FakeWorkloadChanges.WorkerToken, cut.Markup);

        cut.Find("[data-testid=join-tokens-reveal]").Click();

        cut.WaitForAssertion(() => Assert.Contains(FakeWorkloadChanges.WorkerToken, cut.Markup));
        Assert.Contains(FakeWorkloadChanges.ManagerToken, cut.Markup);
        Assert.NotEmpty(Audit.Entries);
        Assert.DoesNotContain(Audit.Entries, e => System.Text.Json.JsonSerializer.Serialize(e).Contains("SWMTKN", StringComparison.Ordinal));

        cut.Find("[data-testid=join-tokens-hide]").Click();
        Assert.DoesNotContain(FakeWorkloadChanges.WorkerToken, cut.Markup);
    }

    [Fact]
    public void Rotating_a_join_token_asks_first()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        var dialogs = Render<MudDialogProvider>();
        var cut = RenderNode("node1");
        cut.Find("[data-testid=join-tokens-reveal]").Click();

        cut.WaitForElement("[data-role=worker] [data-testid=join-token-rotate]").Click();
        dialogs.WaitForElement(FormFields.MessageBoxYes).Click();

        cut.WaitForAssertion(() => Assert.Contains("rotate worker", WorkloadChanges.Calls));
    }

    [Fact]
    public void An_operator_gets_no_node_actions_and_no_join_tokens()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(2, "tester", Role.Operator, AccessScope.OfCluster(ClusterId)));
        var cut = RenderNode("node2");

        Assert.Empty(cut.FindAll("[data-testid=node-promote]"));
        Assert.Empty(cut.FindAll("[data-testid=node-remove]"));
        Assert.Empty(cut.FindAll("[data-testid=node-labels-edit]"));
        Assert.Empty(cut.FindAll("[data-testid=join-tokens]"));
    }
}
