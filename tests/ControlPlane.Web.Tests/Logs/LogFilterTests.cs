using ControlPlane.Core.Logs;

namespace ControlPlane.Web.Tests.Logs;

public sealed class LogFilterTests
{
    private static readonly LogLine[] Lines =
    [
        new(null, LogLine.StandardOutput, "GET /health 200", null),
        new(null, LogLine.StandardError, "POST /Orders failed", null),
        new(null, LogLine.StandardOutput, "get /orders 200", null),
    ];

    [Fact]
    public void Without_text_every_line_is_shown()
    {
        Assert.Equal(3, LogFilter.Apply(Lines, "  ").Count);
    }

    [Fact]
    public void Text_keeps_the_lines_containing_it_whatever_the_case()
    {
        Assert.Equal(["POST /Orders failed", "get /orders 200"], LogFilter.Apply(Lines, "ORDERS").Select(l => l.Text));
    }

    [Fact]
    public void When_only_highlighting_every_line_stays()
    {
        Assert.Equal(3, LogFilter.Apply(Lines, "orders", onlyMatching: false).Count);
    }

    [Fact]
    public void Highlight_marks_every_occurrence_keeping_the_line_s_own_case()
    {
        var segments = LogFilter.Highlight("Error: error again", "ERROR");

        Assert.Equal(
            [new TextSegment("Error", true), new TextSegment(": ", false), new TextSegment("error", true), new TextSegment(" again", false)],
            segments);
        Assert.Equal([new TextSegment("plain", false)], LogFilter.Highlight("plain", null));
    }
}
