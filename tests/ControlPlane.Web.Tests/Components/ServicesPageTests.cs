using Bunit;
using ControlPlane.Web.Components;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class ServicesPageTests : LiveComponentTestContext
{
    [Fact]
    public void While_connecting_it_says_it_is_waiting_for_the_first_listing()
    {
        var cut = Render<Services>();

        Assert.Contains("Waiting for the first listing of the cluster…", cut.Markup);
    }

    [Fact]
    public void A_synced_cluster_without_services_tells_how_to_create_one()
    {
        var cut = Render<Services>();

        SetStatus(ClusterStatus.Synced);

        cut.WaitForAssertion(() => Assert.Contains("No services yet.", cut.Markup));
    }

    [Fact]
    public void A_service_created_in_the_cluster_appears_and_its_replicas_follow_its_tasks()
    {
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Services>();
        var web = Service("web", replicas: 2, stack: "shop");

        Upsert(web);

        cut.WaitForAssertion(() =>
        {
            var row = RowWith(cut, "web");
            Assert.Contains("shop", TextOf(row));
            Assert.Contains("registry/demo/app:1", TextOf(row));
            Assert.Equal("0 / 2", Replicas(row));
        });
        Assert.DoesNotContain("No services yet.", cut.Markup);

        Upsert(TaskOf(web, 1), TaskOf(web, 2));

        cut.WaitForAssertion(() => Assert.Equal("2 / 2", Replicas(RowWith(cut, "web"))));
    }

    [Fact]
    public void A_rows_copy_button_puts_the_whole_id_on_the_clipboard_and_says_so()
    {
        SetStatus(ClusterStatus.Synced);
        var web = Service("web", replicas: 1);
        Upsert(web);
        var cut = Render<Services>();
        var writes = JSInterop.SetupVoid("navigator.clipboard.writeText", _ => true);
        writes.SetVoidResult();

        cut.WaitForAssertion(() => RowWith(cut, "web").QuerySelector($"button[aria-label='Copy {web.Id}']")!.Click());

        Assert.Equal([web.Id], writes.Invocations.Select(i => (string)i.Arguments[0]!));
        Assert.Contains(Services.GetRequiredService<MudBlazor.ISnackbar>().ShownSnackbars, s => s.Message == "Copied to the clipboard");
    }

    [Fact]
    public void Scaling_a_service_changes_its_desired_replicas_on_the_page()
    {
        var web = Service("web", replicas: 1);
        Upsert(web, TaskOf(web, 1));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Services>();
        Assert.Equal("1 / 1", Replicas(RowWith(cut, "web")));

        Upsert(web with { ReplicasDesired = 3 });

        cut.WaitForAssertion(() => Assert.Equal("1 / 3", Replicas(RowWith(cut, "web"))));
    }

    [Fact]
    public void A_removed_service_disappears()
    {
        var web = Service("web");
        var api = Service("api");
        Upsert(web, api);
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Services>();

        Delete(web);

        cut.WaitForAssertion(() =>
        {
            var names = cut.FindAll("tbody tr td:first-child b").Select(b => b.TextContent).ToList();
            Assert.Equal(["api"], names);
        });
    }

    [Fact]
    public void The_filter_narrows_the_list_and_says_when_nothing_matches()
    {
        Upsert(Service("web", image: "shop/web:2"), Service("api", image: "shop/api:7"), Service("db", image: "postgres:17"));
        SetStatus(ClusterStatus.Synced);
        var cut = Render<Services>();

        cut.Find("input").Input("shop/");

        cut.WaitForAssertion(() =>
        {
            var names = cut.FindAll("tbody tr td:first-child b").Select(b => b.TextContent).Order().ToList();
            Assert.Equal(["api", "web"], names);
        });

        cut.Find("input").Input("zzz");

        cut.WaitForAssertion(() => Assert.Contains("No service matches 'zzz'.", cut.Find("tbody").TextContent));
    }

    [Fact]
    public void A_burst_of_a_thousand_replica_changes_costs_only_a_handful_of_renders()
    {
        var web = Service("web", replicas: 1);
        Upsert(web);
        SetStatus(ClusterStatus.Synced);
        var cut = Render<CountingServices>();
        var rendersBefore = cut.Instance.Renders;

        var took = WriteSpreadOver(1000, TimeSpan.FromMilliseconds(500), i => Upsert(web with { ReplicasDesired = i + 1 }));
        Assert.True(took < TimeSpan.FromSeconds(1), $"the burst took {took}, too slow to test coalescing");

        cut.WaitForAssertion(() => Assert.Equal("0 / 1001", Replicas(RowWith(cut, "web"))));
        Assert.InRange(cut.Instance.Renders - rendersBefore, 1, 15);
    }

    [Fact]
    public void While_the_clock_stands_still_a_stream_of_changes_renders_once_and_the_rest_shows_when_the_interval_passes()
    {
        var time = new FakeTimeProvider();
        Services.AddSingleton<TimeProvider>(time);
        var web = Service("web", replicas: 1);
        Upsert(web);
        SetStatus(ClusterStatus.Synced);
        var cut = Render<CountingServices>();
        var rendersBefore = cut.Instance.Renders;

        WriteSpreadOver(1000, TimeSpan.FromMilliseconds(200), i => Upsert(web with { ReplicasDesired = i + 1 }));

        // The first batch renders at once; everything after it waits for the render interval to pass.
        cut.WaitForState(() => cut.Instance.Renders == rendersBefore + 1);
        Assert.Equal(rendersBefore + 1, cut.Instance.Renders);

        time.Advance(LiveClusterComponent.MinRenderInterval);

        cut.WaitForAssertion(() => Assert.Equal("0 / 1001", Replicas(RowWith(cut, "web"))));
        Assert.InRange(cut.Instance.Renders - rendersBefore, 1, 2);
    }

    private static string Replicas(AngleSharp.Dom.IElement row) => TextOf(row.QuerySelector("[data-testid=replicas]")!);

    /// <summary>The page, counting its own renders (<c>cut.RenderCount</c> also counts every MudBlazor child's).</summary>
    private sealed class CountingServices : Services
    {
        private int _renders;

        public int Renders => Volatile.Read(ref _renders);

        protected override void BuildRenderTree(RenderTreeBuilder builder)
        {
            Interlocked.Increment(ref _renders);
            base.BuildRenderTree(builder);
        }
    }
}
