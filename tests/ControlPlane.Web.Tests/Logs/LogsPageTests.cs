using Bunit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Logs;
using ControlPlane.Core.Model;
using LogsPage = ControlPlane.Web.Components.Pages.Logs;
using ControlPlane.Web.Tests.Components;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Logs;

public sealed class LogsPageTests : LiveComponentTestContext
{
    private readonly FakeLogSource _source = new();
    private readonly ClusterService _web = Service("web");

    public LogsPageTests()
    {
        Services.AddSingleton<ILogSource>(_source);
        Services.AddSingleton<LogReader>();
        // As in the app: interactive on the server (the page reads nothing while prerendering).
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        Upsert(_web, Service("api"));
        SetStatus(ClusterStatus.Synced);
    }

    [Fact]
    public void Without_a_target_it_asks_for_one_and_reads_nothing()
    {
        var cut = Render<LogsPage>();

        Assert.Contains("Pick a service or a container to read its logs.", TextOf(cut.Find("[data-testid=log-box]")));
        Assert.False(_source.HasPendingReading);
        Assert.Empty(cut.FindAll("[data-testid=download]"));
    }

    [Fact]
    public void A_link_with_a_service_name_follows_that_service_and_lines_appear_as_they_are_written()
    {
        var cut = RenderAt("logs?service=web");

        var reading = _source.NextReading();
        Assert.Equal(ClusterId, reading.ClusterId);
        Assert.Equal(LogTarget.Service(_web.Id), reading.Target);
        Assert.True(reading.Options.Follow);
        Assert.Equal(500, reading.Options.Tail);

        reading.Write("first line");
        cut.WaitForAssertion(() => Assert.Equal(["first line"], Lines(cut)));

        reading.Write("second line");
        cut.WaitForAssertion(() => Assert.Equal(["first line", "second line"], Lines(cut)));
        Assert.Contains("following", TextOf(cut.Find("[data-testid=logs-status]")));
    }

    [Fact]
    public void While_prerendering_a_link_reads_nothing_yet()
    {
        SetRendererInfo(new RendererInfo("Static", isInteractive: false));

        RenderAt("logs?service=web");

        Assert.False(_source.HasPendingReading);
    }

    [Fact]
    public void Service_lines_name_the_task_that_wrote_them()
    {
        Upsert(TaskOf(_web, 2) with { Id = "task-abc" });
        var cut = RenderAt("logs?service=web");
        var reading = _source.NextReading();

        reading.Write("hello", task: "task-abc");

        cut.WaitForAssertion(() => Assert.Contains("web.2 hello", TextOf(cut.Find("[data-testid=log-line]"))));
    }

    [Fact]
    public void Stderr_lines_are_shown_in_the_error_colour_and_stdout_lines_are_not()
    {
        var cut = RenderAt("logs?service=web");
        var reading = _source.NextReading();

        reading.Write("all good");
        reading.Write("something failed", LogLine.StandardError);

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid=log-line]").Count));
        var lines = cut.FindAll("[data-testid=log-line]");
        Assert.Contains("log-stdout", lines[0].ClassList);
        Assert.DoesNotContain("--mud-palette-error", lines[0].GetAttribute("style"));
        Assert.Contains("log-stderr", lines[1].ClassList);
        Assert.Contains("color: var(--mud-palette-error)", lines[1].GetAttribute("style"));
    }

    [Fact]
    public void The_filter_keeps_matching_lines_case_insensitively_and_highlights_the_match()
    {
        var cut = RenderAt("logs?service=web");
        var reading = _source.NextReading();
        reading.Write("GET /health 200");
        reading.Write("POST /orders 500");
        reading.Write("get /orders 200");
        cut.WaitForAssertion(() => Assert.Equal(3, Lines(cut).Count));

        cut.Find("input[data-testid=line-filter]").Input("ORDERS");

        cut.WaitForAssertion(() => Assert.Equal(["POST /orders 500", "get /orders 200"], Lines(cut)));
        Assert.All(cut.FindAll("[data-testid=match]"), m => Assert.Equal("orders", m.TextContent));
        Assert.Contains("2 of 3 lines match", TextOf(cut.Find("[data-testid=logs-status]")));

        // New lines go through the same filter.
        reading.Write("orders done");
        reading.Write("unrelated");
        cut.WaitForAssertion(() => Assert.Equal(["POST /orders 500", "get /orders 200", "orders done"], Lines(cut)));
    }

    [Fact]
    public async Task Picking_a_target_reads_its_logs_and_puts_it_in_the_address()
    {
        var cut = Render<LogsPage>();
        var picker = cut.FindComponent<MudAutocomplete<LogTargetChoice>>();
        var choices = LogTargets.Of(Store.GetState(ClusterId)!);
        Assert.Equal(["api", "web"], choices.Select(c => c.Label));

        await cut.InvokeAsync(() => picker.Instance.SelectOptionAsync(choices.Single(c => c.Label == "web")));

        var reading = _source.NextReading();
        Assert.Equal(LogTarget.Service(_web.Id), reading.Target);
        reading.Write("from web");
        cut.WaitForAssertion(() => Assert.Equal(["from web"], Lines(cut)));
        Assert.EndsWith("?service=web", Services.GetRequiredService<NavigationManager>().Uri);
        Assert.Equal($"api/clusters/{ClusterId}/services/{_web.Id}/logs?tail=500", cut.Find("[data-testid=download]").GetAttribute("href"));
    }

    [Fact]
    public async Task Turning_follow_off_stops_reading_and_keeps_the_lines()
    {
        var cut = RenderAt("logs?service=web");
        var reading = _source.NextReading();
        reading.Write("kept");
        cut.WaitForAssertion(() => Assert.Equal(["kept"], Lines(cut)));

        cut.Find("input[data-testid=follow]").Change(false);

        await reading.Stopped.Task.WaitAsync(TimeSpan.FromSeconds(5));
        cut.WaitForAssertion(() => Assert.Contains("not following", TextOf(cut.Find("[data-testid=logs-status]"))));
        Assert.Equal(["kept"], Lines(cut));
        Assert.False(_source.HasPendingReading);
    }

    [Fact]
    public void A_service_that_no_longer_exists_says_so()
    {
        var cut = RenderAt("logs?service=web");
        var reading = _source.NextReading();

        reading.Fail(new LogTargetNotFoundException($"Service '{_web.Id}' no longer exists."));

        cut.WaitForAssertion(() => Assert.Equal("Service 'web' no longer exists.", TextOf(cut.Find("[data-testid=logs-error]"))));
    }

    [Fact]
    public void An_unreachable_cluster_shows_why_the_logs_cannot_be_read()
    {
        var cut = RenderAt("logs?container=c-123");
        var reading = _source.NextReading();
        Assert.Equal(LogTarget.Container("c-123"), reading.Target);

        reading.Fail(new ClusterUnreachableException("Cannot reach a manager of cluster 'c1': connection refused"));

        cut.WaitForAssertion(() => Assert.Contains("Cannot read the logs: Cannot reach a manager of cluster 'c1': connection refused",
            TextOf(cut.Find("[data-testid=logs-error]"))));
    }

    private IRenderedComponent<LogsPage> RenderAt(string relativeUri)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(relativeUri);
        return Render<LogsPage>();
    }

    /// <summary>The text of each shown line, without the timestamp the page puts first.</summary>
    private static List<string> Lines(IRenderedComponent<LogsPage> cut) =>
        cut.FindAll("[data-testid=log-line]").Select(l => TextOf(l)[(TimestampWidth)..]).ToList();

    private const int TimestampWidth = 24; // "yyyy-MM-dd HH:mm:ss.fff "
}
