using System.Globalization;

namespace ControlPlane.Core.Logs;

/// <summary>How a log line reads in a downloaded file: time, stream, task (for services), text.</summary>
public static class LogText
{
    public static string Format(LogLine line, bool timestamps = true, bool withSource = false)
    {
        var time = timestamps && line.Time is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture) + " " : "";
        var source = withSource && line.TaskOrContainer is { } task ? task + " " : "";
        return $"{time}{line.Stream} {source}{line.Text}";
    }
}
