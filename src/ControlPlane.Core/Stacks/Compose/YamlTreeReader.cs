using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// Reads the first YAML document of a Compose file into <see cref="ComposeNode"/>s that keep their source positions.
/// Anchors, aliases and merge keys (<c>&lt;&lt;</c>) work as in the docker CLI's reader; the input size, the nesting depth
/// and the number of nodes that aliases expand to are capped, and every failure is a problem, never an exception.
/// </summary>
internal sealed class YamlTreeReader
{
    public const int MaxLength = 1024 * 1024;
    public const int MaxDepth = 64;
    public const int MaxNodes = 200_000;
    private const string StringTag = "tag:yaml.org,2002:str";

    private readonly ComposeProblems problems;
    private readonly Dictionary<string, ComposeNode> anchors = new(StringComparer.Ordinal);
    private IParser parser = null!;
    private int nodes;

    private YamlTreeReader(ComposeProblems problems) => this.problems = problems;

    /// <summary>The root node, or null with the problem added (a syntax error, an empty file, a file too big).</summary>
    public static ComposeNode? Read(string text, ComposeProblems problems)
    {
        if (text.Length > MaxLength)
        {
            problems.Add(1, 1, "", $"the file is {text.Length / 1024} KB; a Compose file may be at most {MaxLength / 1024} KB");
            return null;
        }
        var reader = new YamlTreeReader(problems);
        Mark last = Mark.Empty;
        try
        {
            reader.parser = new Parser(new StringReader(text));
            reader.Next(ref last);
            reader.Expect<StreamStart>();
            reader.Next(ref last);
            if (reader.parser.Current is StreamEnd)
            {
                problems.Add(1, 1, "", "the file is empty; a Compose file is a mapping with version and services");
                return null;
            }
            reader.Expect<DocumentStart>();
            reader.Next(ref last);
            return reader.ReadNode(0, ref last);
        }
        catch (TooComplexException ex)
        {
            problems.Add(ex.Line, ex.Column, "", ex.Message);
        }
        catch (YamlException ex)
        {
            problems.Add((int)ex.Start.Line, (int)ex.Start.Column, "", $"YAML syntax: {ex.Message}");
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or IndexOutOfRangeException)
        {
            // YamlDotNet reports some malformed input with plain exceptions: the last position read is the best we know.
            problems.Add((int)last.Line, (int)last.Column, "", "YAML syntax: the text after this point cannot be read");
        }
        return null;
    }

    private void Next(ref Mark last)
    {
        if (!parser.MoveNext())
        {
            throw new YamlException(last, last, "unexpected end of the file");
        }
        last = parser.Current!.Start;
    }

    private void Expect<T>() where T : ParsingEvent
    {
        if (parser.Current is not T)
        {
            var at = parser.Current!.Start;
            throw new YamlException(at, at, $"expected {typeof(T).Name}, found {parser.Current.GetType().Name}");
        }
    }

    private void Count(ParsingEvent at, int add = 1)
    {
        nodes += add;
        if (nodes > MaxNodes)
        {
            throw new TooComplexException((int)at.Start.Line, (int)at.Start.Column,
                $"the file expands to more than {MaxNodes} values (through aliases); ControlPlane reads no more");
        }
    }

    /// <summary>Reads the node at the current event and leaves the parser on the event after it.</summary>
    private ComposeNode ReadNode(int depth, ref Mark last)
    {
        var current = parser.Current!;
        if (depth > MaxDepth)
        {
            throw new TooComplexException((int)current.Start.Line, (int)current.Start.Column,
                $"values are nested more than {MaxDepth} deep; ControlPlane reads no deeper");
        }
        Count(current);
        var line = (int)current.Start.Line;
        var column = (int)current.Start.Column;
        ComposeNode node;
        switch (current)
        {
            case AnchorAlias alias:
                if (!anchors.TryGetValue(alias.Value.Value, out var target))
                {
                    throw new YamlException(current.Start, current.End, $"the alias *{alias.Value.Value} names no anchor defined before it");
                }
                node = Copy(target, current);
                Next(ref last);
                return node;
            case Scalar scalar:
                node = ToScalar(scalar);
                Next(ref last);
                break;
            case SequenceStart:
            {
                Next(ref last);
                var items = new List<ComposeNode>();
                while (parser.Current is not SequenceEnd)
                {
                    items.Add(ReadNode(depth + 1, ref last));
                }
                Next(ref last);
                node = new ListNode(line, column, items);
                break;
            }
            case MappingStart:
            {
                Next(ref last);
                var map = new MapNode(line, column);
                while (parser.Current is not MappingEnd)
                {
                    var keyEvent = parser.Current!;
                    var key = ReadNode(depth + 1, ref last);
                    var value = ReadNode(depth + 1, ref last);
                    AddEntry(map, keyEvent, key, value);
                }
                Next(ref last);
                node = map;
                break;
            }
            default:
                throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name}");
        }
        if (current is NodeEvent { Anchor.IsEmpty: false } anchored)
        {
            anchors[anchored.Anchor.Value] = node;
        }
        return node;
    }

    private void AddEntry(MapNode map, ParsingEvent keyEvent, ComposeNode key, ComposeNode value)
    {
        if (key is not ScalarNode scalarKey)
        {
            problems.Add(key, "", "a key must be a plain string, not a mapping or a list");
            return;
        }
        if (scalarKey is { Kind: ScalarKind.String, Text: "<<" } && keyEvent is Scalar { Style: ScalarStyle.Plain })
        {
            Merge(map, value);
            return;
        }
        if (scalarKey.Kind != ScalarKind.String)
        {
            // yaml.v2 reads `1:` or `yes:` as a number or a boolean key, which the CLI refuses ("non-string key").
            problems.Add(scalarKey, "", $"the key {scalarKey.Text} is read as a {scalarKey.TypeName}; quote it to make it a string");
            return;
        }
        if (map.Set(scalarKey, value))
        {
            problems.Warn($"line {scalarKey.Line}: the key '{scalarKey.Text}' is given twice in the same mapping; the last one counts, as in docker stack deploy");
        }
    }

    /// <summary>A merge key: the keys of the merged mapping(s) are set in turn, as yaml.v2 applies them.</summary>
    private void Merge(MapNode map, ComposeNode value)
    {
        var sources = value switch
        {
            MapNode single => [single],
            ListNode list when list.Items.All(i => i is MapNode) => list.Items.Cast<MapNode>().ToList(),
            _ => null,
        };
        if (sources is null)
        {
            problems.Add(value, "<<", "a merge key (<<) takes a mapping or a list of mappings");
            return;
        }
        // In a list, earlier mappings win over later ones (YAML's merge key rule, which yaml.v2 follows).
        foreach (var source in Enumerable.Reverse(sources))
        {
            foreach (var entry in source.Entries)
            {
                map.Set(entry.Key, entry.Value);
            }
        }
    }

    private static ScalarNode ToScalar(Scalar scalar)
    {
        var line = (int)scalar.Start.Line;
        var column = (int)scalar.Start.Column;
        var explicitString = !scalar.Tag.IsEmpty && !scalar.Tag.IsNonSpecific && scalar.Tag.Value == StringTag;
        if (scalar.Style != ScalarStyle.Plain || explicitString)
        {
            return new ScalarNode(line, column, scalar.Value, ScalarKind.String, scalar.Value);
        }
        var (kind, value) = Yaml11Scalars.Resolve(scalar.Value);
        return new ScalarNode(line, column, scalar.Value, kind, value);
    }

    /// <summary>An alias is a copy of its anchor's node (so interpolation and casts apply per place), counted against the cap.</summary>
    private ComposeNode Copy(ComposeNode node, ParsingEvent at)
    {
        Count(at);
        switch (node)
        {
            case MapNode map:
                var copy = new MapNode(map.Line, map.Column);
                foreach (var entry in map.Entries)
                {
                    copy.Set(entry.Key, Copy(entry.Value, at));
                }
                return copy;
            case ListNode list:
                return new ListNode(list.Line, list.Column, list.Items.Select(i => Copy(i, at)).ToList());
            default:
                return node;
        }
    }

    private sealed class TooComplexException(int line, int column, string message) : Exception(message)
    {
        public int Line { get; } = line;

        public int Column { get; } = column;
    }
}
