using ControlPlane.Core.State;

namespace ControlPlane.Core.Logs;

/// <summary>A piece of a line, marked when it is what the reader searched for.</summary>
public readonly record struct TextSegment(string Text, bool IsMatch);

/// <summary>The log viewer's text filter: case-insensitive, on the line's text, with the matches marked for highlighting.</summary>
public static class LogFilter
{
    public static bool Matches(LogLine line, string? text) => TextMatch.Any(text, line.Text);

    /// <summary>The lines to show: all of them without a filter or when only highlighting, else the matching ones.</summary>
    public static List<LogLine> Apply(IEnumerable<LogLine> lines, string? text, bool onlyMatching = true) =>
        string.IsNullOrWhiteSpace(text) || !onlyMatching ? lines.ToList() : lines.Where(l => Matches(l, text)).ToList();

    /// <summary>Splits <paramref name="line"/> around every case-insensitive occurrence of <paramref name="text"/>.</summary>
    public static IReadOnlyList<TextSegment> Highlight(string line, string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || line.Length == 0)
        {
            return [new TextSegment(line, false)];
        }
        var needle = text.Trim();
        var segments = new List<TextSegment>();
        var position = 0;
        while (position < line.Length)
        {
            var found = line.IndexOf(needle, position, StringComparison.OrdinalIgnoreCase);
            if (found < 0)
            {
                break;
            }
            if (found > position)
            {
                segments.Add(new TextSegment(line[position..found], false));
            }
            segments.Add(new TextSegment(line.Substring(found, needle.Length), true));
            position = found + needle.Length;
        }
        if (position < line.Length)
        {
            segments.Add(new TextSegment(line[position..], false));
        }
        return segments;
    }
}
