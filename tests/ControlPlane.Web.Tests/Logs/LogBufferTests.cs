using ControlPlane.Core.Logs;

namespace ControlPlane.Web.Tests.Logs;

public sealed class LogBufferTests
{
    [Fact]
    public void Below_capacity_it_keeps_every_line_in_order()
    {
        var buffer = new LogBuffer(capacity: 5);

        buffer.Append(Lines(1, 3));

        Assert.Equal(["1", "2", "3"], buffer.Select(l => l.Text));
        Assert.Equal(0, buffer.Dropped);
    }

    [Fact]
    public void Past_capacity_it_keeps_the_last_lines_and_counts_the_dropped_ones()
    {
        var buffer = new LogBuffer(capacity: 5);

        buffer.Append(Lines(1, 3));
        buffer.Append(Lines(4, 9));

        Assert.Equal(["5", "6", "7", "8", "9"], buffer.Select(l => l.Text));
        Assert.Equal("5", buffer[0].Text);
        Assert.Equal("9", buffer[4].Text);
        Assert.Equal(5, buffer.Count);
        Assert.Equal(4, buffer.Dropped);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer[5]);
    }

    [Fact]
    public void Clear_empties_it_for_the_next_target()
    {
        var buffer = new LogBuffer(capacity: 3);
        buffer.Append(Lines(1, 7));

        buffer.Clear();
        buffer.Append(Lines(8, 8));

        Assert.Equal(["8"], buffer.Select(l => l.Text));
        Assert.Equal(0, buffer.Dropped);
    }

    [Fact]
    public void The_default_capacity_is_ten_thousand_lines()
    {
        var buffer = new LogBuffer();

        buffer.Append(Lines(1, 10_500));

        Assert.Equal(10_000, buffer.Count);
        Assert.Equal("501", buffer[0].Text);
    }

    private static IEnumerable<LogLine> Lines(int from, int to) =>
        Enumerable.Range(from, to - from + 1).Select(i => new LogLine(null, LogLine.StandardOutput, i.ToString(), null));
}
