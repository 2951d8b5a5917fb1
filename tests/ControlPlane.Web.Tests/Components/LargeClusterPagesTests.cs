using Bunit;
using ControlPlane.Benchmarks;
using ControlPlane.Core.Model;
using ControlPlane.Core.State;
using ControlPlane.Web.Components.Pages;

namespace ControlPlane.Web.Tests.Components;

/// <summary>
/// At the size DESIGN §11 designs for (1,000 nodes, 10,000 services, 50,000 tasks) the list pages render a
/// bounded number of rows, and filtering still reaches every row, not only the rendered ones.
/// </summary>
public sealed class LargeClusterPagesTests : LiveComponentTestContext
{
    /// <summary>
    /// Far below the pages' row counts at this size. Before the browser measures the viewport (never, in bUnit)
    /// Virtualize renders its MaxItemCount (100) plus the overscan on both sides (10 each): 120.
    /// </summary>
    private const int MaxRenderedRows = 120;

    private const int Nodes = 1_000;
    private const int ServiceCount = 10_000;

    public LargeClusterPagesTests()
    {
        var state = SyntheticCluster.Build(Nodes, ServiceCount, ClusterId);
        Store.Apply(ClusterId, Enum.GetValues<ResourceKind>().SelectMany(state.All).Select(ResourceChange.Upsert).ToList(),
            Store.GetState(ClusterId)!.Cluster with { Status = ClusterStatus.Synced, LastSyncedAt = DateTimeOffset.UtcNow });
        Assert.Equal(50_000, Store.GetState(ClusterId)!.Count(ResourceKind.Task));
    }

    [Fact]
    public void The_services_page_renders_a_bounded_number_of_rows_of_10000_and_its_filter_searches_them_all()
    {
        var cut = Render<Services>();

        cut.WaitForAssertion(() => Assert.Contains("10000 of 10000 services", cut.Find("[data-testid=service-count]").TextContent));
        Assert.InRange(cut.FindAll("tbody tr").Count, 1, MaxRenderedRows);

        // The last service in the page's order, far outside what is rendered.
        cut.Find("input").Input("svc09999");

        cut.WaitForAssertion(() => Assert.Equal("stack0999_svc09999", Assert.Single(cut.FindAll("tbody tr td:first-child b")).TextContent));
        Assert.Contains("1 of 10000 services", cut.Find("[data-testid=service-count]").TextContent);
    }

    [Fact]
    public void The_tasks_page_renders_a_bounded_number_of_rows_of_50000_and_no_option_per_service_or_node()
    {
        var cut = Render<Tasks>();

        cut.WaitForAssertion(() => Assert.Contains("of 50000 tasks", cut.Find("[data-testid=task-count]").TextContent));
        Assert.InRange(cut.FindAll("[data-testid=task-row]").Count, 1, MaxRenderedRows);
        // 10,000 services and 1,000 nodes as options would be a render tree per browser as large as the list itself.
        Assert.InRange(cut.FindAll(".mud-list-item, option").Count, 0, MaxRenderedRows);
    }

    [Fact]
    public void The_nodes_page_renders_a_bounded_number_of_rows_of_1000()
    {
        var cut = Render<ControlPlane.Web.Components.Pages.Nodes>();

        cut.WaitForAssertion(() => Assert.Contains("1000 of 1000 nodes ready", cut.Find("[data-testid=nodes-summary]").TextContent));
        Assert.InRange(cut.FindAll("tbody tr").Count, 1, MaxRenderedRows);
    }

    [Fact]
    public void The_overview_renders_a_bounded_number_of_list_rows_with_10000_services_in_motion()
    {
        // Every service updating: the overview's "updates in progress" list must not list them all.
        var state = Store.GetState(ClusterId)!;
        Store.Apply(ClusterId, state.Services.Select(s => ResourceChange.Upsert(s with { UpdateState = "updating", ObjectVersion = 21 })).ToList());

        var cut = Render<Overview>();

        cut.WaitForAssertion(() => Assert.Contains("10000", cut.Markup));
        Assert.InRange(cut.FindAll("[data-testid=updates-in-progress] a, [data-testid=health-reasons] li").Count, 1, MaxRenderedRows);
        Assert.Contains("more updating", cut.Find("[data-testid=updates-more]").TextContent);
    }
}
