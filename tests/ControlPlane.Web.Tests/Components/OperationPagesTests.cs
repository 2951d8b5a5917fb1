using Bunit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Web.Components.Pages;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Web.Tests.Components;

public sealed class OperationPagesTests : LiveComponentTestContext
{
    private OperationRunner Runner => Services.GetRequiredService<OperationRunner>();

    private async Task<string> StartAsync(string stack, string target, Func<OperationContext, Task> run)
    {
        var caller = new ChangeCaller("alice", [new Grant(1, "alice", Role.Admin, AccessScope.Everywhere)], null);
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster(ClusterId, stack), "services.rollout", target);
        var start = await Runner.StartAsync(caller, intent, _ => Task.FromResult(new OperationPlan("services.rollout", 3, run)));
        Assert.True(start.Started, start.Message);
        return start.OperationId!;
    }

    [Fact]
    public async Task An_operation_shows_its_steps_and_progress_live_until_it_ends()
    {
        SetStatus(ClusterStatus.Synced);
        var next = new SemaphoreSlim(0);
        var id = await StartAsync("shop", "web", async ctx =>
        {
            await ctx.StepAsync("slot 1", OperationStates.Running, "preparing demo/app:2", node: "cp-node2");
            await next.WaitAsync();
            await ctx.StepAsync("slot 1", OperationStates.Succeeded, "running demo/app:2");
            await ctx.ProgressAsync(1);
            await next.WaitAsync();
            throw new OperationFailedException("slot 2 on cp-node3: task exited with 1", rolledBack: true);
        });

        var cut = Render<OperationDetail>(p => p.Add(x => x.Id, id));
        cut.WaitForAssertion(() => Assert.Contains("preparing demo/app:2", TextOf(cut.Find("[data-step='slot 1']"))));
        Assert.Equal("running", cut.Find("[data-testid=operation]").GetAttribute("data-state"));
        Assert.Equal("0 / 3", TextOf(cut.Find("[data-testid=operation-progress]")));
        Assert.NotEmpty(cut.FindAll("[data-testid=operation-cancel]"));

        next.Release();
        cut.WaitForAssertion(() => Assert.Equal("1 / 3", TextOf(cut.Find("[data-testid=operation-progress]"))));
        Assert.Contains("cp-node2", TextOf(cut.Find("[data-step='slot 1']")));

        next.Release();
        cut.WaitForAssertion(() => Assert.Equal("rolledback", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        Assert.Equal("slot 2 on cp-node3: task exited with 1", TextOf(cut.Find("[data-testid=operation-error]")));
        Assert.Empty(cut.FindAll("[data-testid=operation-cancel]"));
    }

    [Fact]
    public async Task A_viewer_sees_an_operation_of_their_stack_without_cancel_and_nothing_of_another_stack()
    {
        SetStatus(ClusterStatus.Synced);
        Grants.Grants.Clear();
        Grants.Grants.Add(new Grant(2, "tester", Role.Viewer, AccessScope.OfStack(ClusterId, "shop")));
        var release = new TaskCompletionSource();
        var shop = await StartAsync("shop", "web", _ => release.Task);
        var billing = await StartAsync("billing", "invoices", _ => release.Task);

        var mine = Render<OperationDetail>(p => p.Add(x => x.Id, shop));
        mine.WaitForAssertion(() => Assert.NotEmpty(mine.FindAll("[data-testid=operation]")));
        Assert.Empty(mine.FindAll("[data-testid=operation-cancel]"));

        var theirs = Render<OperationDetail>(p => p.Add(x => x.Id, billing));
        theirs.WaitForAssertion(() => Assert.Contains("No operation has the id", TextOf(theirs.Find("[data-testid=operation-missing]"))));

        var list = Render<Operations>();
        list.WaitForAssertion(() => Assert.Single(list.FindAll("[data-testid=operation-link]")));
        Assert.Contains("web (shop)", TextOf(list.Find("[data-testid=operations-table]")));
        release.SetResult();
    }

    [Fact]
    public async Task Cancel_from_the_page_stops_the_operation()
    {
        SetStatus(ClusterStatus.Synced);
        var id = await StartAsync("shop", "web", ctx => Task.Delay(Timeout.Infinite, ctx.Cancellation));
        var cut = Render<OperationDetail>(p => p.Add(x => x.Id, id));

        cut.WaitForElement("[data-testid=operation-cancel]").Click();

        cut.WaitForAssertion(() => Assert.Equal("cancelled", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        Assert.Contains(Audit.Entries, e => e.Action == "operations.cancel" && e.Result == Core.Audit.AuditResult.Succeeded);
    }
}
