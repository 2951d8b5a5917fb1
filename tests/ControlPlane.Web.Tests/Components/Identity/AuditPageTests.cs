using Bunit;
using ControlPlane.Core.Audit;
using ControlPlane.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using AuditPage = ControlPlane.Web.Components.Pages.Admin.Audit;

namespace ControlPlane.Web.Tests.Components.Identity;

public sealed class AuditPageTests : IdentityTestContext
{
    private async Task<AuditRecord> AppendAsync(string actor, string action, string target, AuditResult result = AuditResult.Succeeded, string? diff = null) =>
        await Services.GetRequiredService<IAuditLog>().AppendAsync(new AuditEntry(DateTimeOffset.UtcNow, actor, action, target, result, "10.0.0.7", "why", diff));

    private static IReadOnlyList<long> ShownIds(IRenderedComponent<AuditPage> cut) =>
        cut.FindAll("[data-testid=audit-row]").Select(r => long.Parse(r.GetAttribute("data-id")!)).ToList();

    [Fact]
    public async Task The_log_is_listed_newest_first_narrowed_by_actor_and_the_export_link_carries_the_filter()
    {
        var first = await AppendAsync("alice", "services.update", $"{ClusterId}/shop");
        var second = await AppendAsync("bob", "secrets.create", ClusterId, AuditResult.Denied);
        var third = await AppendAsync("alice", "nodes.update", ClusterId, AuditResult.Failed);

        var cut = Render<AuditPage>();

        cut.WaitForAssertion(() => Assert.Equal([third.Id, second.Id, first.Id], ShownIds(cut)));
        var bobRow = cut.FindAll("[data-testid=audit-row]")[1];
        Assert.Equal("denied", bobRow.QuerySelector("[data-testid=audit-result]")!.TextContent.Trim());
        Assert.Contains("mud-chip-color-error", bobRow.QuerySelector("[data-testid=audit-result] .mud-chip")!.ClassName);

        Type(cut, "audit-actor", "alice");

        cut.WaitForAssertion(() => Assert.Equal([third.Id, first.Id], ShownIds(cut)));
        var export = cut.Find("[data-testid=audit-export]").GetAttribute("href")!;
        Assert.StartsWith("api/audit/export.csv?", export);
        Assert.Contains("actor=alice", export);
        Assert.Contains("since=", export);
    }

    [Fact]
    public async Task A_diff_opens_below_the_list()
    {
        await AppendAsync("alice", "services.update", $"{ClusterId}/shop", diff: "- replicas: 1\n+ replicas: 3");
        var cut = Render<AuditPage>();

        cut.WaitForElement("[data-testid=audit-diff-toggle]").Click();

        cut.WaitForAssertion(() => Assert.Contains("+ replicas: 3", cut.Find("[data-testid=audit-diff] pre").TextContent));
    }

    [Fact]
    public async Task Verify_says_intact_and_names_the_record_that_was_changed_in_the_database()
    {
        await AppendAsync("alice", "services.update", ClusterId);
        var tampered = await AppendAsync("bob", "secrets.remove", ClusterId);
        await AppendAsync("carol", "grants.create", "dave");
        var cut = Render<AuditPage>();

        cut.WaitForElement("[data-testid=audit-verify]").Click();
        cut.WaitForAssertion(() => Assert.Equal("Intact", cut.Find("[data-testid=verify-result]").TextContent.Trim()));

        await using (var scope = Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
            await db.AuditLog.Where(a => a.Id == tampered.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.Actor, "mallory"));
        }
        cut.Find("[data-testid=audit-verify]").Click();

        cut.WaitForAssertion(() => Assert.Equal($"Record {tampered.Id} has been tampered with", cut.Find("[data-testid=verify-result]").TextContent.Trim()));
    }
}
