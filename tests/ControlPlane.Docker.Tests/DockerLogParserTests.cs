using System.Text;
using ControlPlane.Core.Logs;
using ControlPlane.Docker.Logs;

namespace ControlPlane.Docker.Tests;

/// <summary>Parsing the engine's log lines: timestamps, service details, lines split across reads.</summary>
public sealed class DockerLogParserTests
{
    [Fact]
    public void A_service_line_gives_its_time_task_and_text()
    {
        var parser = new DockerLogParser(hasDetails: true, source: null);

        var line = parser.Parse(LogLine.StandardOutput,
            "2026-11-28T00:22:18.881584159Z com.docker.swarm.node.id=y15c,com.docker.swarm.service.id=fhab,com.docker.swarm.task.id=s0g1rtw0 demo app version 1 serving");

        Assert.Equal(new DateTimeOffset(2026, 11, 28, 0, 22, 18, TimeSpan.Zero).AddTicks(8815841), line.Time);
        Assert.Equal("s0g1rtw0", line.TaskOrContainer);
        Assert.Equal("demo app version 1 serving", line.Text);
    }

    [Fact]
    public void Empty_details_leave_the_text_whole_and_a_line_without_timestamp_is_kept_as_is()
    {
        var parser = new DockerLogParser(hasDetails: true, source: null);

        Assert.Equal("a b", parser.Parse(LogLine.StandardOutput, "2026-01-02T03:04:05Z  a b").Text);
        var raw = parser.Parse(LogLine.StandardOutput, "not a timestamp here");
        Assert.Null(raw.Time);
        Assert.Equal("not a timestamp here", raw.Text);
    }

    [Fact]
    public void Lines_split_across_reads_and_characters_split_across_reads_are_reassembled_per_stream()
    {
        var parser = new DockerLogParser(hasDetails: false, source: "c1");
        var bytes = Encoding.UTF8.GetBytes("2026-01-02T03:04:05.5Z héllo\r\n2026-01-02T03:04:06Z wor");
        var split = Array.IndexOf(bytes, (byte)0xC3) + 1; // inside the two bytes of 'é'

        var first = parser.Append(LogLine.StandardOutput, bytes.AsSpan(0, split));
        var errors = parser.Append(LogLine.StandardError, "2026-01-02T03:04:05Z oops\n"u8);
        var second = parser.Append(LogLine.StandardOutput, bytes.AsSpan(split));
        var rest = parser.Flush();

        Assert.Empty(first);
        Assert.Equal([new LogLine(DateTimeOffset.Parse("2026-01-02T03:04:05Z"), LogLine.StandardError, "oops", "c1")], errors);
        Assert.Equal("héllo", Assert.Single(second).Text);
        Assert.Equal("wor", Assert.Single(rest).Text);
        Assert.All(second.Concat(rest), l => Assert.Equal(LogLine.StandardOutput, l.Stream));
    }
}
