using Bunit;
using ControlPlane.Core.Metrics;
using ControlPlane.Core.Model;
using ControlPlane.Web.Components.Pages;
using static ControlPlane.Web.Tests.Components.TestResources;

namespace ControlPlane.Web.Tests.Components;

public sealed class OverviewChartTests : LiveComponentTestContext
{
    [Fact]
    public void Without_readings_the_charts_say_when_they_will_fill()
    {
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Overview>();

        cut.WaitForAssertion(() => Assert.Contains("Readings start a minute after ControlPlane starts", cut.Find("[data-testid=chart-running]").TextContent));
    }

    [Fact]
    public void Readings_are_drawn_at_their_time_with_their_values_on_hover()
    {
        var now = DateTimeOffset.UtcNow;
        History.Points.Add(new MetricPoint(now.AddHours(-3), 5, 6, 0, 3));
        History.Points.Add(new MetricPoint(now.AddHours(-1), 7, 7, 2, 3));
        Upsert(ThreeNodeSwarm());
        SetStatus(ClusterStatus.Synced);

        var cut = Render<Overview>();

        cut.WaitForAssertion(() =>
        {
            var running = cut.Find("[data-testid=chart-running]");
            Assert.Equal(2, running.QuerySelectorAll("circle").Length);
            Assert.Contains(": 7 tasks", running.QuerySelectorAll("circle title")[1].TextContent);
            var failures = cut.Find("[data-testid=chart-failures]");
            Assert.Contains(": 2 failures", failures.QuerySelectorAll("rect title")[1].TextContent);
        });
        // The newer reading sits to the right of the older one, near the end of the 24-hour window.
        var xs = cut.Find("[data-testid=chart-running]").QuerySelectorAll("circle").Select(c => double.Parse(c.GetAttribute("cx")!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.True(xs[0] < xs[1] && xs[1] > 500, $"x positions {string.Join(", ", xs)}");
    }
}
