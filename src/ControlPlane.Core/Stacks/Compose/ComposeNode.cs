namespace ControlPlane.Core.Stacks.Compose;

/// <summary>What a YAML scalar is once resolved as the docker CLI's YAML 1.1 reader (yaml.v2) resolves it.</summary>
internal enum ScalarKind
{
    Null,
    Bool,
    Int,
    Float,
    String,
}

/// <summary>
/// A node of a Compose file as read, with the line and column (1-based) where it starts in the original text, so a
/// problem found after interpolation still points at the source.
/// </summary>
internal abstract class ComposeNode(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;

    /// <summary>How the schema names the node's type in messages.</summary>
    public abstract string TypeName { get; }
}

/// <summary>A mapping, its keys in the order of the file (a later duplicate replaces the earlier value, as yaml.v2 does).</summary>
internal sealed class MapNode(int line, int column) : ComposeNode(line, column)
{
    private readonly List<KeyValuePair<ScalarNode, ComposeNode>> entries = [];

    public IReadOnlyList<KeyValuePair<ScalarNode, ComposeNode>> Entries => entries;

    public override string TypeName => "mapping";

    public ComposeNode? this[string key] => entries.FirstOrDefault(e => e.Key.Text == key).Value;

    public ScalarNode? KeyNode(string key) => entries.FirstOrDefault(e => e.Key.Text == key).Key;

    public bool Has(string key) => entries.Any(e => e.Key.Text == key);

    /// <summary>Sets a key, replacing an earlier one of the same name in place; answers whether it replaced one.</summary>
    public bool Set(ScalarNode key, ComposeNode value)
    {
        var index = entries.FindIndex(e => e.Key.Text == key.Text);
        if (index >= 0)
        {
            entries[index] = new(key, value);
            return true;
        }
        entries.Add(new(key, value));
        return false;
    }
}

/// <summary>A sequence.</summary>
internal sealed class ListNode(int line, int column, List<ComposeNode> items) : ComposeNode(line, column)
{
    public List<ComposeNode> Items { get; } = items;

    public override string TypeName => "list";
}

/// <summary>A scalar: its text as written and its resolved kind and value (string, bool, long or double).</summary>
internal sealed class ScalarNode(int line, int column, string text, ScalarKind kind, object? value) : ComposeNode(line, column)
{
    public string Text { get; } = text;

    public ScalarKind Kind { get; } = kind;

    public object? Value { get; } = value;

    public override string TypeName => Kind switch
    {
        ScalarKind.Null => "null",
        ScalarKind.Bool => "boolean",
        ScalarKind.Int => "integer",
        ScalarKind.Float => "number",
        _ => "string",
    };

    public string? AsString => Kind == ScalarKind.String ? (string)Value! : null;

    /// <summary>The same scalar with another value, at the same place (interpolation keeps the source position).</summary>
    public ScalarNode With(ScalarKind kind, object? value, string? text = null) => new(Line, Column, text ?? Text, kind, value);
}
