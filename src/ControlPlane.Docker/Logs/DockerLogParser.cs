using System.Globalization;
using System.Text;
using ControlPlane.Core.Logs;

namespace ControlPlane.Docker.Logs;

/// <summary>
/// Turns the engine's log stream into <see cref="LogLine"/>s: reassembles lines per stream (a frame may end
/// mid-line, a read may end mid-frame or mid-character), then reads the RFC 3339 timestamp the engine puts
/// first and, for service logs, the details that name the task.
/// </summary>
public sealed class DockerLogParser(bool hasDetails, string? source)
{
    private const string TaskIdAttribute = "com.docker.swarm.task.id";

    private readonly MemoryStream _stdout = new();
    private readonly MemoryStream _stderr = new();

    /// <summary>Takes bytes read from one stream and returns the lines they complete.</summary>
    public IReadOnlyList<LogLine> Append(string stream, ReadOnlySpan<byte> bytes)
    {
        var pending = stream == LogLine.StandardError ? _stderr : _stdout;
        List<LogLine>? lines = null;
        while (bytes.Length > 0)
        {
            var end = bytes.IndexOf((byte)'\n');
            if (end < 0)
            {
                pending.Write(bytes);
                break;
            }
            pending.Write(bytes[..end]);
            (lines ??= []).Add(Parse(stream, Take(pending)));
            bytes = bytes[(end + 1)..];
        }
        return lines ?? (IReadOnlyList<LogLine>)[];
    }

    /// <summary>The unterminated last line of each stream, once the stream ended.</summary>
    public IReadOnlyList<LogLine> Flush()
    {
        var lines = new List<LogLine>();
        if (_stdout.Length > 0)
        {
            lines.Add(Parse(LogLine.StandardOutput, Take(_stdout)));
        }
        if (_stderr.Length > 0)
        {
            lines.Add(Parse(LogLine.StandardError, Take(_stderr)));
        }
        return lines;
    }

    /// <summary>Reads <c>[timestamp ][details ]text</c>; what does not parse stays in the text.</summary>
    public LogLine Parse(string stream, string raw)
    {
        var rest = raw.AsSpan().TrimEnd('\r');
        DateTimeOffset? time = null;
        var space = rest.IndexOf(' ');
        if (space > 0 && TryParseTime(rest[..space], out var parsed))
        {
            time = parsed;
            rest = rest[(space + 1)..];
        }

        var task = source;
        if (hasDetails)
        {
            // The engine writes the details as URL-encoded k=v pairs joined by commas, then one space; an empty set leaves just the space.
            space = rest.IndexOf(' ');
            if (space >= 0 && (space == 0 || rest[..space].Contains('=')))
            {
                task = TaskId(rest[..space]) ?? source;
                rest = rest[(space + 1)..];
            }
        }
        return new LogLine(time, stream, rest.ToString(), task);
    }

    private static string Take(MemoryStream pending)
    {
        var text = Encoding.UTF8.GetString(pending.GetBuffer(), 0, (int)pending.Length);
        pending.SetLength(0);
        return text;
    }

    private static string? TaskId(ReadOnlySpan<char> details)
    {
        foreach (var range in details.Split(','))
        {
            var pair = details[range];
            var equals = pair.IndexOf('=');
            if (equals > 0 && Uri.UnescapeDataString(pair[..equals].ToString()) == TaskIdAttribute)
            {
                return Uri.UnescapeDataString(pair[(equals + 1)..].ToString());
            }
        }
        return null;
    }

    /// <summary>Engines print nine fractional digits; .NET parses at most seven.</summary>
    internal static bool TryParseTime(ReadOnlySpan<char> text, out DateTimeOffset time)
    {
        time = default;
        if (text.Length < 20 || text[4] != '-' || text[10] != 'T')
        {
            return false;
        }
        var value = text.ToString();
        var dot = value.IndexOf('.');
        if (dot > 0)
        {
            var zone = value.IndexOfAny(['Z', '+', '-'], dot);
            if (zone > dot + 8)
            {
                value = value[..(dot + 8)] + value[zone..];
            }
        }
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
    }
}
