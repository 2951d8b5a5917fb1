using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// A service's <c>networks</c> (list or mapping with aliases) as the task's network attachments, as the CLI makes
/// them: none named means the stack's <c>default</c>; the target is <c>&lt;stack&gt;_&lt;key&gt;</c> or the network's own
/// name; the service's short name is an alias on every user-defined network; sorted by target.
/// </summary>
internal sealed class NetworkAttachments(ComposeFile file, ComposeProblems problems)
{
    private static readonly string[] BuiltIn = ["default", "bridge", "host", "none"];

    public JsonArray Convert(string service, MapNode definition, string path, List<InputProblem> restricted)
    {
        var requested = new List<(string Key, ComposeNode At, MapNode? Options)>();
        switch (definition["networks"])
        {
            case ListNode list:
                requested.AddRange(list.Items.OfType<ScalarNode>().Where(i => i.Kind == ScalarKind.String).Select(i => ((string)i.Value!, (ComposeNode)i, (MapNode?)null)));
                break;
            case MapNode map:
                requested.AddRange(map.Entries.Select(e => (e.Key.Text, (ComposeNode)e.Key, e.Value as MapNode)));
                break;
        }
        if (requested.Count == 0)
        {
            requested.Add(("default", definition, null));
        }
        var attachments = new List<(string Target, JsonObject Attachment)>();
        foreach (var (key, at, options) in requested)
        {
            var network = file.Networks?[key];
            if (network is null && key != "default")
            {
                problems.Add(at, $"{path}.networks", $"undefined network \"{key}\": define it under the top-level networks");
                continue;
            }
            file.UsedNetworks.Add(key);
            var networkDefinition = network as MapNode;
            var external = ComposeFile.IsExternal(networkDefinition);
            var target = external ? ComposeFile.ExternalName(key, networkDefinition)
                : networkDefinition.Str("name") is { Length: > 0 } name ? name : StackNames.Scope(file.Stack, key);
            var aliases = options.List("aliases").StringList();
            if (IsUserDefined(target))
            {
                aliases.Add(service);
            }
            var attachment = new JsonObject { ["Target"] = target };
            ServiceConverter.PutList(attachment, "Aliases", aliases);
            attachments.Add((target, attachment));
            if (target == "host")
            {
                ServiceConverter.Restricted(restricted, at, $"{path}.networks", "the host network");
            }
        }
        return new JsonArray([.. attachments.OrderBy(a => a.Target, StringComparer.Ordinal).Select(a => (JsonNode)a.Attachment)]);
    }

    /// <summary>docker's NetworkMode.IsUserDefined on Linux: not default, bridge, host, none or container:…</summary>
    public static bool IsUserDefined(string name) =>
        !BuiltIn.Contains(name) && !name.StartsWith("container:", StringComparison.Ordinal);
}
