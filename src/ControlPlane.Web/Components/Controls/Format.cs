namespace ControlPlane.Web.Components.Controls;

/// <summary>How numbers and times read on ControlPlane's pages.</summary>
public static class Format
{
    public static string Bytes(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} B" : $"{value:0.#} {units[unit]}";
    }

    public static string Cpus(long nanoCpus) => $"{nanoCpus / 1e9:0.##}";

    public static string Ago(DateTimeOffset at, DateTimeOffset now)
    {
        var span = now - at;
        return span switch
        {
            { TotalSeconds: < 0 } => "just now",
            { TotalSeconds: < 60 } => $"{(int)span.TotalSeconds}s ago",
            { TotalMinutes: < 60 } => $"{(int)span.TotalMinutes}m ago",
            { TotalHours: < 48 } => $"{(int)span.TotalHours}h ago",
            _ => $"{(int)span.TotalDays}d ago",
        };
    }

    /// <summary>A duration as people say it: "850 ms", "42 s", "3 min 5 s", "2 h 10 min".</summary>
    public static string Duration(TimeSpan duration) => duration switch
    {
        { TotalSeconds: < 1 } => $"{duration.TotalMilliseconds:0} ms",
        { TotalMinutes: < 1 } => $"{duration.TotalSeconds:0.#} s",
        { TotalHours: < 1 } => $"{(int)duration.TotalMinutes} min {duration.Seconds} s",
        _ => $"{(int)duration.TotalHours} h {duration.Minutes} min",
    };

    public static string ShortId(string id) => id.Length > 12 ? id[..12] : id;

    /// <summary>An image reference without the <c>@sha256:…</c> pin Docker adds, which makes tables unreadable.</summary>
    public static string ImageWithoutDigest(string image) => image.Split('@', 2)[0];
}
