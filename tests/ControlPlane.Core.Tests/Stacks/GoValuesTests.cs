using ControlPlane.Core.Stacks.Compose;

namespace ControlPlane.Core.Tests.Stacks;

/// <summary>The Go parsers and formatters the conversion mirrors, with answers taken from Go's own documentation and behaviour.</summary>
public sealed class GoValuesTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("300ms", 300_000_000L)]
    [InlineData("1m30s", 90_000_000_000L)]
    [InlineData("1.5h", 5_400_000_000_000L)]
    [InlineData("-2s", -2_000_000_000L)]
    [InlineData("1h2m3s4ms5us6ns", 3_723_004_005_006L)]
    [InlineData(".5s", 500_000_000L)]
    public void Durations(string text, long nanoseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var parsed));
        Assert.Equal(nanoseconds, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("1d")]
    [InlineData("s")]
    [InlineData("1..2s")]
    public void Not_durations(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Theory]
    [InlineData("512M", 536_870_912L)]
    [InlineData("1.5g", 1_610_612_736L)]
    [InlineData("64kb", 65_536L)]
    [InlineData("100", 100L)]
    [InlineData("2 GiB", 2_147_483_648L)]
    public void Byte_sizes(string text, long bytes)
    {
        Assert.True(GoValues.TryParseBytes(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData(1.5, "1.5")]
    [InlineData(100000.0, "100000")]
    [InlineData(1000000.0, "1e+06")]
    [InlineData(1234567.0, "1.234567e+06")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(-2.25, "-2.25")]
    public void Floats_print_as_go_fmt_prints_them(double value, string text) => Assert.Equal(text, GoValues.FormatFloat(value));

    [Fact]
    public void Shell_words_split_as_shlex_splits_them()
    {
        Assert.Equal(["sh", "-c", "echo \"hi\" && ls", "a b", "c#d"], GoValues.ShellSplit("sh -c 'echo \"hi\" && ls' a\\ b c#d # comment", out _));
        Assert.Null(GoValues.ShellSplit("echo \"open", out var error));
        Assert.Contains("closing quote", error);
    }

    [Theory]
    [InlineData("0.5", 500_000_000L)]
    [InlineData("2", 2_000_000_000L)]
    [InlineData("1/4", 250_000_000L)]
    public void Cpus(string text, long nano)
    {
        Assert.Null(GoValues.TryParseCpus(text, out var parsed));
        Assert.Equal(nano, parsed);
    }
}
