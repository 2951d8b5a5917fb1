using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>The Stacks page's deploy form: who sees it, problems at their lines, the preview, and the deploy followed live.</summary>
public sealed class StackDeployTests : LiveComponentTestContext
{
    private const string Valid = "version: \"3.9\"\nservices:\n  web:\n    image: registry/demo/app:1\n    deploy:\n      replicas: 2\n";

    private IRenderedComponent<Stacks> OpenForm()
    {
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Stacks>();
        cut.Find("[data-testid=stack-deploy-open]").Click();
        return cut;
    }

    private static void Fill(IRenderedComponent<Stacks> cut, string name, string compose)
    {
        cut.Field("stack-deploy-name").Input(name);
        cut.Find("[data-testid=compose-text]").Input(compose);
    }

    [Fact]
    public void A_viewer_of_the_cluster_gets_no_deploy_button()
    {
        SetStatus(ClusterStatus.Synced);
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(2, "tester", Role.Viewer, AccessScope.OfCluster(ClusterId)));

        Assert.Empty(Render<Stacks>().FindAll("[data-testid=stack-deploy-open]"));
    }

    [Fact]
    public void A_viewer_of_the_cluster_who_operates_one_stack_gets_the_deploy_button()
    {
        SetStatus(ClusterStatus.Synced);
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(2, "tester", Role.Viewer, AccessScope.OfCluster(ClusterId)));
        Grants.Grants.Add(new Grant(3, "tester", Role.Operator, AccessScope.OfStack(ClusterId, "shop")));

        Assert.NotEmpty(Render<Stacks>().FindAll("[data-testid=stack-deploy-open]"));
    }

    [Fact]
    public void The_editor_numbers_lines_and_marks_each_problem_at_its_line_with_the_problem_listed_under_it()
    {
        var cut = OpenForm();
        Fill(cut, "hushop", "version: \"3.9\"\nservices:\n  web:\n    image: registry/demo/app:1\n    replicaz: 2\n");

        Assert.Equal(["1", "2", "3", "4", "5", "6"], cut.FindAll(".compose-line-number").Select(l => l.TextContent).ToArray());
        cut.Find("[data-testid=stack-deploy-preview]").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=compose-problem]")));
        var problem = cut.Find("[data-testid=compose-problem]");
        Assert.StartsWith("line 5, column 5 — ", TextOf(problem));
        Assert.Contains("replicaz", TextOf(problem));
        Assert.Equal(["5"], cut.FindAll("[data-testid=compose-error-line]").Select(l => l.GetAttribute("data-line")!).ToArray());
        Assert.Contains("problem", TextOf(cut.Find("[data-testid=stack-deploy-refusal]")));
        Assert.Empty(cut.FindAll("[data-testid=stack-preview]"));
        Assert.Empty(StackEngine.Calls);
    }

    [Fact]
    public async Task The_preview_shows_each_object_with_its_action_in_words_and_the_deploy_is_followed_until_it_succeeds()
    {
        var cut = OpenForm();
        Fill(cut, "hushop", Valid);
        Assert.True(cut.Find("[data-testid=stack-deploy-start]").HasAttribute("disabled"));

        cut.Find("[data-testid=stack-deploy-preview]").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=stack-preview-row]")));
        var rows = cut.FindAll("[data-testid=stack-preview-row]").Select(TextOf).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains(rows, r => r.Contains("network") && r.Contains("hushop_default") && r.Contains("create"));
        Assert.Contains(rows, r => r.Contains("service") && r.Contains("hushop_web") && r.Contains("create"));
        Assert.Empty(StackEngine.Calls);

        cut.Find("[data-testid=stack-deploy-start]").Click();

        cut.WaitForAssertion(() => Assert.Equal("succeeded", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        Assert.Equal(["create network hushop_default", "create service hushop_web"], StackEngine.Calls);
        Assert.Single(await StackHistory.ListAsync(ClusterId, "hushop"));
        cut.WaitForAssertion(() => Assert.Contains("stacks/hushop", cut.Find("[data-testid=stack-deploy-link]").GetAttribute("href")));
    }

    [Fact]
    public void An_update_shows_its_spec_diff_on_demand_and_what_is_there_already_is_unchanged()
    {
        var running = (System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(
            "{\"Name\":\"hushop_web\",\"Labels\":{\"com.docker.stack.namespace\":\"hushop\"},\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"registry/demo/app:1\"}},\"Mode\":{\"Replicated\":{\"Replicas\":1}}}")!;
        StackEngine.Stacks["hushop"] = new Core.Stacks.EngineStack(
            [new Core.Stacks.EngineService("id-hushop_web", "hushop_web", 7, running)],
            [new Core.Stacks.EngineObject("net-hushop_default", "hushop_default", new Dictionary<string, string>())], [], []);
        var cut = OpenForm();
        Fill(cut, "hushop", Valid);
        cut.Find("[data-testid=stack-deploy-preview]").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=stack-preview-row]")));
        var actions = cut.FindAll("[data-testid=stack-preview-row]").ToDictionary(r => r.QuerySelectorAll("td")[1].TextContent.Trim(), r => r.GetAttribute("data-action"));
        Assert.Equal("unchanged", actions["hushop_default"]);
        Assert.Equal("update", actions["hushop_web"]);
        Assert.Empty(cut.FindAll("[data-testid=stack-preview-diff]"));

        cut.Find("[data-testid=stack-preview-diff-toggle]").Click();

        Assert.Contains("Replicas: 1 → 2", cut.Find("[data-testid=stack-preview-diff]").TextContent);
    }

    [Fact]
    public void A_changed_form_needs_a_new_preview_before_it_deploys()
    {
        var cut = OpenForm();
        Fill(cut, "hushop", Valid);
        cut.Find("[data-testid=stack-deploy-preview]").Click();
        cut.WaitForAssertion(() => Assert.False(cut.Find("[data-testid=stack-deploy-start]").HasAttribute("disabled")));

        cut.Find("[data-testid=compose-text]").Input(Valid.Replace("replicas: 2", "replicas: 3"));

        Assert.True(cut.Find("[data-testid=stack-deploy-start]").HasAttribute("disabled"));
        Assert.NotEmpty(cut.FindAll("[data-testid=stack-deploy-stale]"));
    }

    [Fact]
    public async Task Variables_the_file_uses_are_offered_and_their_values_are_sent()
    {
        var cut = OpenForm();
        Fill(cut, "hushop", Valid.Replace("app:1", "app:${TAG}"));

        cut.WaitForAssertion(() => Assert.Contains("TAG", TextOf(cut.Find("[data-testid=stack-deploy-missing-variables]"))));
        cut.Find("[data-testid=stack-deploy-missing-variables] button").Click();
        cut.Find("[data-testid=stack-deploy-variables] input[data-testid=kv-value]").Input("2");
        cut.Find("[data-testid=stack-deploy-preview]").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=stack-preview-row]")));
        Assert.Empty(cut.FindAll("[data-testid=stack-deploy-missing-variables]"));
        cut.Find("[data-testid=stack-deploy-start]").Click();
        cut.WaitForAssertion(() => Assert.Equal("succeeded", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        Assert.Equal("2", (await StackHistory.ListAsync(ClusterId, "hushop")).Single().Variables["TAG"]);
    }
}
