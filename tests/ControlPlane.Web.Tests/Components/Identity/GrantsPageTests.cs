using Bunit;
using ControlPlane.Core.Audit;
using ControlPlane.Core.State;
using ControlPlane.Core.Security;
using MudBlazor;
using static ControlPlane.Web.Tests.Components.TestResources;
using GrantsPage = ControlPlane.Web.Components.Pages.Admin.Grants;

namespace ControlPlane.Web.Tests.Components.Identity;

public sealed class GrantsPageTests : IdentityTestContext
{
    [Fact]
    public async Task A_stack_scoped_grant_is_added_listed_and_audited_then_deleted_after_confirmation()
    {
        await CreateUserAsync("carol", "carol-long-password");
        Store.Apply(ClusterId, [ResourceChange.Upsert(Service("shop_api", stack: "shop")), ResourceChange.Upsert(Service("loose"))]);
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<GrantsPage>();
        cut.WaitForElement("[data-testid=grants-table]");

        await PickAsync<string>(cut, "grant-subject", "carol");
        await PickAsync<Role?>(cut, "grant-role", Role.Operator);
        await PickAsync(cut, "grant-scope", GrantsPage.ScopeKind.Stack);
        await PickAsync<string>(cut, "grant-cluster", ClusterId);
        // The stack picker offers the stacks the cluster runs, and only those.
        var stackPicker = cut.FindComponents<MudSelectItem<string>>().Select(i => i.Instance.Value).ToList();
        Assert.Contains("shop", stackPicker);
        await PickAsync<string>(cut, "grant-stack", "shop");
        cut.Find("[data-testid=add-grant]").Click();

        var description = $"stack shop of cluster {ClusterId}";
        cut.WaitForAssertion(() => Assert.Contains(description, RowWith(cut, "grants-table", "carol")?.TextContent));
        var grant = Assert.Single(await StoredGrantsAsync(), g => g.Subject == "carol");
        Assert.Equal(new Grant(grant.Id, "carol", Role.Operator, AccessScope.OfStack(ClusterId, "shop")), grant);
        var added = Assert.Single(await AuditAsync(new AuditQuery(Action: "grants.create")), r => r.Entry.Result != AuditResult.Started);
        Assert.Equal((AuditResult.Succeeded, "carol", $"Operator on {description}"), (added.Entry.Result, added.Entry.Target, added.Entry.Detail));

        cut.Find($"[data-testid=delete-grant-{grant.Id}]").Click();
        dialogs.WaitForAssertion(() => Assert.Contains("carol loses Operator", dialogs.Markup));
        ClickDialogButton(dialogs, "Delete");

        cut.WaitForAssertion(() => Assert.Null(RowWith(cut, "grants-table", "carol")));
        Assert.DoesNotContain(await StoredGrantsAsync(), g => g.Subject == "carol");
        var deleted = Assert.Single(await AuditAsync(new AuditQuery(Action: "grants.delete")), r => r.Entry.Result != AuditResult.Started);
        Assert.Equal((AuditResult.Succeeded, "carol"), (deleted.Entry.Result, deleted.Entry.Target));
    }

    [Fact]
    public async Task Cancelling_the_confirmation_keeps_the_grant()
    {
        var dialogs = Render<MudDialogProvider>();
        var cut = Render<GrantsPage>();
        var adminGrant = Assert.Single(await StoredGrantsAsync());
        cut.WaitForElement($"[data-testid=delete-grant-{adminGrant.Id}]").Click();

        dialogs.WaitForAssertion(() => Assert.Contains("admin loses Admin", dialogs.Markup));
        ClickDialogButton(dialogs, "Cancel");

        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")));
        Assert.Single(await StoredGrantsAsync());
        Assert.Empty(await AuditAsync(new AuditQuery(Action: "grants.delete")));
    }

    [Fact]
    public async Task An_unknown_user_is_refused_with_the_reason_and_an_entra_group_is_taken_as_typed()
    {
        var cut = Render<GrantsPage>();
        cut.WaitForElement("[data-testid=grants-table]");

        await PickAsync<string>(cut, "grant-subject", "nobody");
        await PickAsync<Role?>(cut, "grant-role", Role.Viewer);
        cut.Find("[data-testid=add-grant]").Click();
        cut.WaitForAssertion(() => Assert.Equal("There is no user named 'nobody'.", cut.Find("[data-testid=grant-problem]").TextContent.Trim()));

        await PickAsync<string>(cut, "grant-subject", "group:5f1c0000-0000-0000-0000-000000000001");
        await PickAsync<Role?>(cut, "grant-role", Role.Viewer);
        await PickAsync(cut, "grant-scope", GrantsPage.ScopeKind.Cluster);
        await PickAsync<string>(cut, "grant-cluster", ClusterId);
        cut.Find("[data-testid=add-grant]").Click();

        cut.WaitForAssertion(() => Assert.Contains($"cluster {ClusterId}", RowWith(cut, "grants-table", "group:5f1c")?.TextContent));
        Assert.Empty(cut.FindAll("[data-testid=grant-problem]"));
    }
}
