namespace ControlPlane.Core.Secrets;

/// <summary>One line of a diff: kept (' '), removed ('-') or added ('+').</summary>
public sealed record DiffLine(char Kind, string Text);

/// <summary>A line diff of two texts (longest common subsequence), for comparing config versions.</summary>
public static class TextDiff
{
    /// <summary>Text of a config's data when it is UTF-8, for showing it and diffing it; null for binary data.</summary>
    public static string? TextOf(byte[] data)
    {
        try
        {
            return new System.Text.UTF8Encoding(false, true).GetString(data);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }
    }

    /// <summary>Beyond this many lines on a side the table would be too big to build; such texts are shown whole instead.</summary>
    public const int MaxLines = 5000;

    public static IReadOnlyList<DiffLine> Lines(string before, string after)
    {
        var a = Split(before);
        var b = Split(after);
        if (a.Length > MaxLines || b.Length > MaxLines)
        {
            return [.. a.Select(l => new DiffLine('-', l)), .. b.Select(l => new DiffLine('+', l))];
        }
        // common[i, j]: length of the longest common subsequence of a[i..] and b[j..].
        var common = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                common[i, j] = a[i] == b[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }
        var lines = new List<DiffLine>();
        int x = 0, y = 0;
        while (x < a.Length && y < b.Length)
        {
            if (a[x] == b[y])
            {
                lines.Add(new DiffLine(' ', a[x++]));
                y++;
            }
            else if (common[x + 1, y] >= common[x, y + 1])
            {
                lines.Add(new DiffLine('-', a[x++]));
            }
            else
            {
                lines.Add(new DiffLine('+', b[y++]));
            }
        }
        lines.AddRange(a[x..].Select(l => new DiffLine('-', l)));
        lines.AddRange(b[y..].Select(l => new DiffLine('+', l)));
        return lines;
    }

    private static string[] Split(string text) =>
        text.Length == 0 ? [] : text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
}
