using Bunit;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Web.Components.Pages;
using MudBlazor;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Creating a service from the Services page, and editing, restarting and removing one from its page.</summary>
public sealed class ServiceActionsTests : LiveComponentTestContext
{
    [Fact]
    public void A_service_is_created_from_the_form_with_its_image_pinned()
    {
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Services>();

        cut.Find("[data-testid=service-create-open]").Click();
        cut.Field("service-form-name").Change("huapi");
        cut.Field("service-form-image").Change("registry/demo/app:2");
        cut.Field("service-form-replicas").Change("3");
        cut.Find("[data-testid=service-form-submit]").Click();

        cut.WaitForAssertion(() => Assert.Contains("huapi", TextOf(cut.Find("[data-testid=service-form-done]"))));
        Assert.Equal([$"create huapi registry/demo/app:2@{FakeImageChanges.Digest}"], WorkloadChanges.Calls);
        Assert.Contains("Replicas", cut.Find("[data-testid=service-form-diff]").TextContent);
    }

    [Fact]
    public void A_refused_create_says_why_next_to_the_field()
    {
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Services>();

        cut.Find("[data-testid=service-create-open]").Click();
        cut.Field("service-form-name").Change("bad name!");
        cut.Field("service-form-image").Change("registry/demo/app:2");
        cut.Find("[data-testid=service-form-submit]").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=service-form-refusal]")));
        Assert.Contains("name", TextOf(cut.Find("[data-testid=service-form]")).ToLowerInvariant());
        Assert.Empty(WorkloadChanges.Calls);
    }

    [Fact]
    public void A_viewer_gets_no_create_edit_restart_or_remove()
    {
        Upsert(Service("web"));
        SetStatus(ClusterStatus.Synced);
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(2, "tester", Role.Viewer, AccessScope.OfCluster(ClusterId)));

        Assert.Empty(Render<Services>().FindAll("[data-testid=service-create-open]"));
        var page = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));
        Assert.Empty(page.FindAll("[data-testid=service-edit]"));
        Assert.Empty(page.FindAll("[data-testid=service-restart]"));
        Assert.Empty(page.FindAll("[data-testid=service-remove]"));
    }

    [Fact]
    public void Editing_sends_only_what_changed_and_shows_the_spec_diff()
    {
        Upsert(Service("web", replicas: 1));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        cut.Find("[data-testid=service-edit]").Click();
        Assert.Equal("web", cut.Field("service-form-name").GetAttribute("value"));
        Assert.Equal("registry/demo/app:1", cut.Field("service-form-image").GetAttribute("value"));
        cut.Field("service-form-replicas").Change("3");
        cut.Find("[data-testid=service-form-submit]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Mode.Replicated.Replicas: 1 → 3", cut.Find("[data-testid=service-form-diff]").TextContent));
        Assert.Equal(["update id-web"], WorkloadChanges.Calls);
    }

    [Fact]
    public void Removing_a_service_needs_its_exact_name()
    {
        Upsert(Service("web"));
        SetStatus(ClusterStatus.Synced);
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        cut.Find("[data-testid=service-remove]").Click();
        dialogs.Field("confirm-by-name-input").Input("web ");
        Assert.True(dialogs.Find("[data-testid=confirm-by-name-confirm]").HasAttribute("disabled"));
        dialogs.Field("confirm-by-name-input").Input("web");
        dialogs.Find("[data-testid=confirm-by-name-confirm]").Click();

        cut.WaitForAssertion(() => Assert.Equal(["remove id-web"], WorkloadChanges.Calls));
    }

    [Fact]
    public void Restart_asks_first_then_follows_the_operation()
    {
        var web = Service("web", replicas: 1);
        Upsert(ThreeNodeSwarm());
        Upsert(web, TaskOf(web, 1));
        SetStatus(ClusterStatus.Synced);
        ImageChanges.Swarm[web.Id] = new Core.Images.RolloutStatus(web, [TaskOf(web, 1)]);
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<ServiceDetail>(p => p.Add(x => x.IdOrName, "web"));

        cut.Find("[data-testid=service-restart]").Click();
        Assert.Empty(WorkloadChanges.Calls);
        dialogs.WaitForElement(FormFields.MessageBoxYes).Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid=service-restart-live] [data-testid=operation]")));
        cut.WaitForAssertion(() => Assert.Contains("update id-web", WorkloadChanges.Calls));
    }
}
