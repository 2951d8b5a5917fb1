namespace ControlPlane.Web.Components.Controls;

/// <summary>One editable key/value pair of a form (a variable, an environment variable, a label).</summary>
public sealed class KeyValueRow
{
    public string Key { get; set; } = "";

    public string Value { get; set; } = "";
}

/// <summary>The rows of a key/value editor, and the map they make (rows with an empty key are left out; a later row wins).</summary>
public sealed class KeyValueRows
{
    public List<KeyValueRow> Rows { get; } = [];

    public static KeyValueRows From(IEnumerable<KeyValuePair<string, string>>? pairs)
    {
        var rows = new KeyValueRows();
        foreach (var (key, value) in pairs ?? [])
        {
            rows.Rows.Add(new KeyValueRow { Key = key, Value = value });
        }
        return rows;
    }

    public Dictionary<string, string> ToDictionary()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in Rows.Where(r => r.Key.Trim().Length > 0))
        {
            map[row.Key.Trim()] = row.Value;
        }
        return map;
    }

    /// <summary>Whether the rows make the same map as <paramref name="other"/>.</summary>
    public bool SameAs(IReadOnlyDictionary<string, string> other)
    {
        var mine = ToDictionary();
        return mine.Count == other.Count && mine.All(p => other.TryGetValue(p.Key, out var v) && v == p.Value);
    }
}
