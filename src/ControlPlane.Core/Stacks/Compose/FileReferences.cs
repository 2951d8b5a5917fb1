using System.Globalization;
using System.Text.Json.Nodes;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>The two kinds of file objects a service mounts; they differ only in these facts.</summary>
internal sealed record FileObjectKind(string Key, string Noun, string IdField, string NameField, ReferenceKind Reference)
{
    public static readonly FileObjectKind Secret = new("secrets", "secret", "SecretID", "SecretName", ReferenceKind.Secret);
    public static readonly FileObjectKind Config = new("configs", "config", "ConfigID", "ConfigName", ReferenceKind.Config);
}

/// <summary>
/// A service's <c>secrets</c> or <c>configs</c> (short or long syntax) as Engine API references, as the CLI makes
/// them: the file is named after the target (default: the source's key), owned by uid "0" and gid "0", mode 0444;
/// the reference names the object by its external name with an empty id for the deploy to fill; sorted by name.
/// </summary>
internal sealed class FileReferences(ComposeFile file, ComposeProblems problems, FileObjectKind kind)
{
    public List<JsonNode> Convert(ListNode? items, string path)
    {
        var references = new List<(string Name, JsonObject Reference)>();
        var targets = new HashSet<string>(StringComparer.Ordinal);
        var definitions = kind == FileObjectKind.Secret ? file.Secrets : file.Configs;
        for (var i = 0; i < (items?.Items.Count ?? 0); i++)
        {
            var item = items!.Items[i];
            var itemPath = $"{path}.{kind.Key}.{i.ToString(CultureInfo.InvariantCulture)}";
            var map = item as MapNode;
            var source = item is ScalarNode { Kind: ScalarKind.String } s ? (string)s.Value! : map.Str("source");
            if (source is null)
            {
                if (map is not null)
                {
                    problems.Add(item, itemPath, $"a {kind.Noun} needs its source");
                }
                continue;
            }
            if (definitions?[source] is not MapNode definition)
            {
                problems.Add(item, itemPath, $"undefined {kind.Noun} \"{source}\": define it under the top-level {kind.Key}");
                continue;
            }
            // A non-external definition is refused where it is defined (TopLevelObjects); the name here is the CLI's.
            var external = ComposeFile.IsExternal(definition);
            var name = external ? ComposeFile.ExternalName(source, definition)
                : definition.Str("name") is { Length: > 0 } given ? given : StackNames.Scope(file.Stack, source);
            if (external)
            {
                file.Reference(kind.Reference, name, definitions.KeyNode(source), $"{kind.Key}.{source}");
            }
            var target = map.Str("target") is { Length: > 0 } t ? t : source;
            if (!targets.Add(target))
            {
                problems.Add(item, itemPath, $"duplicate {kind.Noun} target for {name} not allowed");
                continue;
            }
            var mode = map.Long("mode") ?? 0x124; // 0444
            references.Add((name, new JsonObject
            {
                ["File"] = new JsonObject
                {
                    ["Name"] = target,
                    ["UID"] = map.Str("uid") is { Length: > 0 } uid ? uid : "0",
                    ["GID"] = map.Str("gid") is { Length: > 0 } gid ? gid : "0",
                    ["Mode"] = mode,
                },
                [kind.IdField] = "",
                [kind.NameField] = name,
            }));
        }
        return references.OrderBy(r => r.Name, StringComparer.Ordinal).Select(r => (JsonNode)r.Reference).ToList();
    }
}
