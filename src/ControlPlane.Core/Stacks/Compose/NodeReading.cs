namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// Reading values out of a tree that the schema has checked: these never throw, and a value of the wrong shape
/// reads as absent (the validator has already reported it).
/// </summary>
internal static class NodeReading
{
    public static MapNode? Map(this MapNode? map, string key) => map?[key] as MapNode;

    public static ListNode? List(this MapNode? map, string key) => map?[key] as ListNode;

    public static ScalarNode? Scalar(this MapNode? map, string key) => map?[key] as ScalarNode;

    public static string? Str(this MapNode? map, string key) => map.Scalar(key)?.AsString;

    public static bool Bool(this MapNode? map, string key) => map.Scalar(key)?.Value is true;

    public static bool? OptionalBool(this MapNode? map, string key) => map.Scalar(key)?.Value as bool?;

    public static long? Long(this MapNode? map, string key) => map.Scalar(key)?.Value switch
    {
        long l => l,
        double d when d == Math.Floor(d) && Math.Abs(d) < 9e18 => (long)d,
        _ => null,
    };

    public static double? Double(this MapNode? map, string key) => map.Scalar(key)?.Value switch
    {
        long l => l,
        double d => d,
        _ => null,
    };

    /// <summary>A string or a list of strings (<c>dns</c>, <c>tmpfs</c>...), as a list.</summary>
    public static List<string> StringList(this ComposeNode? node) => node switch
    {
        ScalarNode { Kind: ScalarKind.String } s => [(string)s.Value!],
        ListNode list => list.Items.OfType<ScalarNode>().Where(i => i.Kind == ScalarKind.String).Select(i => (string)i.Value!).ToList(),
        _ => [],
    };

    /// <summary>
    /// A list of <c>KEY=VALUE</c> strings or a mapping (labels, environment, sysctls...), in the order written. A list
    /// item without <c>=</c> and a mapping value that is empty give null when <paramref name="allowNull"/>, else "".
    /// Numbers and booleans become text as Go's fmt.Sprint writes them.
    /// </summary>
    public static List<KeyValuePair<string, string?>> ListOrDict(this ComposeNode? node, char separator, bool allowNull)
    {
        var result = new List<KeyValuePair<string, string?>>();
        void Put(string key, string? value)
        {
            var index = result.FindIndex(p => p.Key == key);
            if (index >= 0)
            {
                result[index] = new(key, value);
            }
            else
            {
                result.Add(new(key, value));
            }
        }
        switch (node)
        {
            case MapNode map:
                foreach (var (key, value) in map.Entries)
                {
                    var scalar = value as ScalarNode;
                    Put(key.Text, scalar is null || scalar.Kind == ScalarKind.Null ? (allowNull ? null : "") : GoValues.Sprint(scalar.Value));
                }
                break;
            case ListNode list:
                foreach (var item in list.Items.OfType<ScalarNode>().Where(i => i.Kind == ScalarKind.String))
                {
                    var text = (string)item.Value!;
                    var at = text.IndexOf(separator);
                    Put(at < 0 ? text : text[..at], at < 0 ? (allowNull ? null : "") : text[(at + 1)..]);
                }
                break;
        }
        return result;
    }
}
