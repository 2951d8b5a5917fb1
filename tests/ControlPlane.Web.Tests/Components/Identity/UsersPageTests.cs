using Bunit;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Security;
using ControlPlane.Core.Identity;
using Microsoft.Extensions.DependencyInjection;
using UsersPage = ControlPlane.Web.Components.Pages.Admin.Users;

namespace ControlPlane.Web.Tests.Components.Identity;

public sealed class UsersPageTests : IdentityTestContext
{
    [Fact]
    public async Task Creating_a_user_shows_it_in_the_list_with_its_grant_and_writes_an_audit_record()
    {
        const string password = "alice-has-a-long-password";
        var cut = Render<UsersPage>();
        cut.WaitForElement("[data-testid=users-table]");

        Type(cut, "new-user-name", "alice");
        Type(cut, "new-user-password", password);
        await PickAsync<Role?>(cut, "new-user-role", Role.Viewer);
        cut.Find("[data-testid=create-user]").Click();

        cut.WaitForAssertion(() => Assert.Contains("Viewer on all clusters", RowWith(cut, "users-table", "alice")?.TextContent));
        Assert.DoesNotContain(password, cut.Markup);
        var created = Assert.Single(await AuditAsync(new AuditQuery(Action: "users.create", Actor: AdminName)), r => r.Entry.Result != AuditResult.Started);
        Assert.Equal(AuditResult.Succeeded, created.Entry.Result);
        Assert.Equal("user alice", created.Entry.Target);
        Assert.DoesNotContain(password, created.Entry.Detail ?? "");
    }

    [Fact]
    public async Task A_too_short_password_shows_the_rule_and_creates_nothing()
    {
        var cut = Render<UsersPage>();
        cut.WaitForElement("[data-testid=users-table]");

        Type(cut, "new-user-name", "bob");
        Type(cut, "new-user-password", "short");
        cut.Find("[data-testid=create-user]").Click();

        cut.WaitForAssertion(() => Assert.Equal($"A password has at least {IdentityRules.MinPasswordLength} characters.",
            cut.Find("[data-testid=create-problem]").TextContent.Trim()));
        Assert.Null(RowWith(cut, "users-table", "bob"));
        Assert.Null(await WithScopeAsync(sp => sp.GetRequiredService<IAccountStore>().FindAsync("bob")));
        Assert.DoesNotContain(await StoredGrantsAsync(), g => g.Subject == "bob");
        var failed = Assert.Single(await AuditAsync(new AuditQuery(Action: "users.create")), r => r.Entry.Result != AuditResult.Started);
        Assert.Equal(AuditResult.Failed, failed.Entry.Result);
    }

    [Fact]
    public async Task The_list_shows_every_account_with_its_grants()
    {
        await CreateUserAsync("carol", "carol-long-password", Role.Operator, AccessScope.OfStack(ClusterId, "shop"));

        var cut = Render<UsersPage>();

        cut.WaitForAssertion(() =>
        {
            Assert.Contains("Admin on all clusters", RowWith(cut, "users-table", AdminName)?.TextContent);
            Assert.Contains($"Operator on stack shop of cluster {ClusterId}", RowWith(cut, "users-table", "carol")?.TextContent);
        });
    }
}
