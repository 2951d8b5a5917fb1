using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.Stacks;
using ControlPlane.Web.Components.Pages;
using MudBlazor;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>The stack page: its objects, the deployed file and history, and the actions each role gets.</summary>
public sealed class StackDetailPageTests : LiveComponentTestContext
{
    private const string File = "version: \"3.9\"\nservices:\n  web:\n    image: registry/demo/app:${TAG}\n";

    private void ArrangeShop(bool deployedHere = true)
    {
        var web = Service("shop_web", replicas: 2, stack: "shop");
        Upsert(web, TaskOf(web, 1), TaskOf(web, 2),
            Network("shop_default") with { Labels = Labels.From(new Dictionary<string, string> { [ClusterVisibility.StackLabel] = "shop" }) },
            Secret("shop_db", Labels.From(new Dictionary<string, string> { [ClusterVisibility.StackLabel] = "shop" })));
        SetStatus(ClusterStatus.Synced);
        StackEngine.Stacks["shop"] = new EngineStack([new EngineService(web.Id, web.Name, 3, new System.Text.Json.Nodes.JsonObject())], [], [], []);
        if (deployedHere)
        {
            var at = DateTimeOffset.UtcNow.AddHours(-2);
            StackHistory.AddAsync(new StackDeployment(0, ClusterId, "shop", File.Replace("${TAG}", "0"), new Dictionary<string, string>(), false, "alice", at.AddHours(-1), "op0", StackDeployResults.Succeeded)).Wait();
            StackHistory.AddAsync(new StackDeployment(0, ClusterId, "shop", File, new Dictionary<string, string> { ["TAG"] = "1" }, true, "bob", at, "op1", StackDeployResults.Succeeded)).Wait();
        }
    }

    private IRenderedComponent<StackDetail> RenderShop() => Render<StackDetail>(p => p.Add(x => x.Name, "shop"));

    [Fact]
    public void The_page_shows_the_stacks_services_tasks_objects_file_with_line_numbers_and_history()
    {
        ArrangeShop();
        var cut = RenderShop();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=stack-history-row]")));
        Assert.Contains("shop_web", TextOf(cut.Find("[data-testid=stack-service]")));
        Assert.Contains("/ 2 running", TextOf(cut.Find("[data-testid=stack-service]")));
        Assert.Contains("shop_default", TextOf(cut.Find("[data-testid=stack-networks]")));
        Assert.Contains("shop_db", TextOf(cut.Find("[data-testid=stack-secrets]")));
        Assert.Equal(2, cut.Find("[data-testid=stack-tasks]").QuerySelectorAll("tbody tr").Length);
        var compose = cut.Find("[data-testid=stack-compose]");
        Assert.True(compose.QuerySelector("textarea")!.HasAttribute("readonly"));
        Assert.Equal(4, compose.QuerySelectorAll(".compose-line-number").Length - 1);
        Assert.Contains("deployed by bob", TextOf(cut.Find("[data-testid=stack-deployed-by]")));
        Assert.Equal(["bob", "alice"], cut.FindAll("[data-testid=stack-history-row]").Select(r => r.QuerySelectorAll("td")[1].TextContent).ToArray());
        // The current version is not offered again; the earlier one is.
        Assert.Single(cut.FindAll("[data-testid=stack-history-redeploy]"));
        Assert.Contains("••••••", TextOf(cut.Find("[data-testid=stack-variable]")));
        Assert.Empty(cut.FindAll("[data-testid=stack-outside]"));
    }

    [Fact]
    public void Edit_and_redeploy_opens_the_editor_with_the_last_file_and_its_variables()
    {
        ArrangeShop();
        var cut = RenderShop();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=stack-edit]")));

        cut.Find("[data-testid=stack-edit]").Click();

        var form = cut.Find("[data-testid=stack-deploy]");
        Assert.Equal(File, form.QuerySelector("[data-testid=compose-text]")!.GetAttribute("value") ?? form.QuerySelector("[data-testid=compose-text]")!.TextContent);
        Assert.True(cut.Field("stack-deploy-name").HasAttribute("readonly"));
        Assert.Equal("TAG", cut.Find("[data-testid=stack-deploy-variables] input[data-testid=kv-key]").GetAttribute("value"));
    }

    [Fact]
    public void A_stack_made_elsewhere_says_it_has_no_file_and_can_still_be_removed_after_typing_its_exact_name()
    {
        ArrangeShop(deployedHere: false);
        var dialogs = Render<MudDialogProvider>();
        var cut = RenderShop();

        cut.WaitForAssertion(() => Assert.Contains("Deployed outside ControlPlane: no file to edit", TextOf(cut.Find("[data-testid=stack-outside]"))));
        Assert.Empty(cut.FindAll("[data-testid=stack-edit]"));
        cut.Find("[data-testid=stack-remove]").Click();

        var confirm = dialogs.WaitForElement("[data-testid=confirm-by-name-confirm]");
        Assert.True(confirm.HasAttribute("disabled"));
        dialogs.Field("confirm-by-name-input").Input("Shop");
        Assert.True(dialogs.Find("[data-testid=confirm-by-name-confirm]").HasAttribute("disabled"));
        dialogs.Field("confirm-by-name-input").Input("shop");
        dialogs.Find("[data-testid=confirm-by-name-confirm]").Click();

        cut.WaitForAssertion(() => Assert.Equal("succeeded", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        Assert.Equal(["remove service id-shop_web"], StackEngine.Calls);
    }

    [Fact]
    public void Cancelling_the_confirmation_removes_nothing()
    {
        ArrangeShop();
        var dialogs = Render<MudDialogProvider>();
        var cut = RenderShop();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=stack-remove]")));

        cut.Find("[data-testid=stack-remove]").Click();
        dialogs.WaitForElement("[data-testid=confirm-by-name-cancel]").Click();

        Assert.Empty(cut.FindAll("[data-testid=operation]"));
        Assert.Empty(StackEngine.Calls);
    }

    [Fact]
    public async Task Redeploying_an_earlier_version_asks_first_and_deploys_that_file()
    {
        ArrangeShop();
        var dialogs = Render<MudDialogProvider>();
        var cut = RenderShop();
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=stack-history-redeploy]")));

        cut.Find("[data-testid=stack-history-redeploy]").Click();
        dialogs.WaitForElement(FormFields.MessageBoxYes).Click();

        cut.WaitForAssertion(() => Assert.Equal("succeeded", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        var newest = (await StackHistory.ListAsync(ClusterId, "shop")).First();
        Assert.Equal(File.Replace("${TAG}", "0"), newest.Compose);
        Assert.Equal("tester", newest.DeployedBy);
    }

    [Fact]
    public void A_viewer_of_the_stack_sees_it_but_no_action_and_no_variable_values()
    {
        ArrangeShop();
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(2, "tester", Role.Viewer, AccessScope.OfStack(ClusterId, "shop")));
        var cut = RenderShop();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=stack-history-row]")));
        Assert.Empty(cut.FindAll("[data-testid=stack-edit]"));
        Assert.Empty(cut.FindAll("[data-testid=stack-remove]"));
        Assert.Empty(cut.FindAll("[data-testid=stack-history-redeploy]"));
        Assert.Empty(cut.FindAll("[data-testid=stack-variables-toggle]"));
        Assert.DoesNotContain("TAG 1", TextOf(cut.Find("[data-testid=stack-variables]")));
    }
}
