using Bunit;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Web.Authorization;
using Microsoft.Extensions.DependencyInjection;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

/// <summary>
/// Which services a wave rollout by repository selects, and with which reference, on the fake swarm (on the shared
/// local swarm a repository-wide rollout would move other tests' services too).
/// </summary>
public sealed class WaveSelectionTests : LiveComponentTestContext
{
    [Fact]
    public async Task A_repository_wave_moves_every_service_from_that_repository_to_the_tag_and_no_other()
    {
        var web = Service("web", image: "registry/demo/app:1");
        var worker = Service("worker", image: "registry/demo/app:1@sha256:" + new string('c', 64));
        var other = Service("other", image: "registry/other/app:1");
        Upsert(ThreeNodeSwarm());
        Upsert(web, worker, other, TaskOf(web, 1), TaskOf(worker, 1), TaskOf(other, 1));
        SetStatus(ClusterStatus.Synced);
        foreach (var service in new[] { web, worker, other })
        {
            ImageChanges.Swarm[service.Id] = new RolloutStatus(service, [TaskOf(service, 1)]);
        }
        var images = Services.GetRequiredService<ImageCommands>();
        var caller = await Services.GetRequiredService<ControlPlane.Web.Authorization.AccessControl>().CallerAsync(new(new System.Security.Claims.ClaimsIdentity("test")), null);

        var start = await images.WavesAsync(caller, ClusterId, null, "registry/demo/app", "2", 1, null);

        Assert.True(start.Started, start.Message);
        await Services.GetRequiredService<OperationRunner>().WhenFinishedAsync(start.OperationId!);
        var operation = (await Operations.FindAsync(start.OperationId!))!;
        Assert.Equal(OperationStates.Succeeded, operation.State);
        Assert.Equal((2, 2), (operation.Progress.Done, operation.Progress.Total));
        Assert.Equal(["id-web", "id-worker"], ImageChanges.Calls.Where(c => c.StartsWith("image", StringComparison.Ordinal)).Select(c => c.Split(' ')[1]).ToArray());
        Assert.All(ImageChanges.Calls.Where(c => c.StartsWith("image", StringComparison.Ordinal)), c => Assert.Contains($"registry/demo/app:2@{FakeImageChanges.Digest}", c));
        Assert.Equal(["wave 1", "wave 2"], operation.Steps.Where(s => s.Name.StartsWith("wave", StringComparison.Ordinal)).Select(s => s.Name).ToArray());
    }

    [Fact]
    public void The_stacks_page_starts_waves_across_a_stack_and_shows_them_move()
    {
        var a = Service("shop-a", stack: "shop");
        var b = Service("shop-b", stack: "shop");
        Upsert(ThreeNodeSwarm());
        Upsert(a, b, TaskOf(a, 1), TaskOf(b, 1));
        SetStatus(ClusterStatus.Synced);
        ImageChanges.Swarm[a.Id] = new RolloutStatus(a, [TaskOf(a, 1)]);
        ImageChanges.Swarm[b.Id] = new RolloutStatus(b, [TaskOf(b, 1)]);
        var cut = Render<Stacks>();

        cut.Find("[data-testid=waves-open]").Click();
        Input(cut, "waves-selector").Change("shop");
        Input(cut, "waves-image").Change("registry/demo/app:2");
        cut.Find("[data-testid=waves-start]").Click();

        cut.WaitForAssertion(() => Assert.Equal("succeeded", cut.Find("[data-testid=operation]").GetAttribute("data-state")));
        Assert.Equal(["id-shop-a", "id-shop-b"], ImageChanges.Calls.Where(c => c.StartsWith("image", StringComparison.Ordinal)).Select(c => c.Split(' ')[1]).ToArray());
        Assert.Contains("wave 2", TextOf(cut.Find("[data-testid=operation-steps]")));
    }

    private static AngleSharp.Dom.IElement Input(IRenderedComponent<Stacks> cut, string testId)
    {
        var element = cut.Find($"[data-testid={testId}]");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input")!;
    }
}
