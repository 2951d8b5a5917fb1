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

    public static string ShortId(string id) => id.Length > 12 ? id[..12] : id;

    /// <summary>An image reference without the <c>@sha256:…</c> pin Docker adds, which makes tables unreadable.</summary>
    public static string ImageWithoutDigest(string image) => image.Split('@', 2)[0];
}
