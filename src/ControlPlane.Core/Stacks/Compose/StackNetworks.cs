using System.Text.Json.Nodes;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// The networks the stack creates, as the CLI's convert.Networks and createNetworks make them: only networks some
/// service uses (so <c>&lt;stack&gt;_default</c> only when a service names none), overlay unless a driver is given,
/// with the stack label; external ones are references, checked to exist by the deploy.
/// </summary>
internal static class StackNetworks
{
    public static List<PlannedNetwork> Plan(ComposeFile file, ComposeProblems problems)
    {
        var networks = new List<PlannedNetwork>();
        foreach (var key in file.UsedNetworks)
        {
            var definition = file.Networks?[key] as MapNode;
            var keyNode = file.Networks?.KeyNode(key);
            if (ComposeFile.IsExternal(definition))
            {
                var external = ComposeFile.ExternalName(key, definition);
                if (NetworkAttachments.IsUserDefined(external))
                {
                    file.Reference(ReferenceKind.Network, external, keyNode, $"networks.{key}");
                }
                continue;
            }
            var name = definition.Str("name") is { Length: > 0 } given ? given : StackNames.Scope(file.Stack, key);
            if (StackNames.Refusal(name) is { } refusal)
            {
                problems.Add(keyNode, $"networks.{key}", $"the network would be named {name}: {refusal}");
                continue;
            }
            var labels = definition?["labels"].ListOrDict('=', allowNull: false).ToDictionary(p => p.Key, p => p.Value ?? "") ?? [];
            labels[StackNames.NamespaceLabel] = file.Stack;
            var create = new JsonObject
            {
                ["Name"] = name,
                ["Driver"] = definition.Str("driver") is { Length: > 0 } driver ? driver : "overlay",
                ["Internal"] = definition.Bool("internal"),
                ["Attachable"] = definition.Bool("attachable"),
            };
            var options = definition?["driver_opts"].ListOrDict('=', allowNull: false) ?? [];
            if (options.Count > 0)
            {
                create["Options"] = ServiceConverter.ToObject(options.Select(p => new KeyValuePair<string, string>(p.Key, p.Value ?? "")));
            }
            create["Labels"] = ServiceConverter.ToObject(labels);
            if (definition.Map("ipam") is { } ipam && (ipam.Str("driver") is { Length: > 0 } || ipam.List("config") is { Items.Count: > 0 }))
            {
                var ipamJson = new JsonObject();
                ServiceConverter.PutString(ipamJson, "Driver", ipam.Str("driver"));
                if (ipam.List("config") is { Items.Count: > 0 } configs)
                {
                    ipamJson["Config"] = new JsonArray([.. configs.Items.OfType<MapNode>().Select(c =>
                    {
                        var config = new JsonObject();
                        ServiceConverter.PutString(config, "Subnet", c.Str("subnet"));
                        return (JsonNode)config;
                    })]);
                }
                create["IPAM"] = ipamJson;
            }
            networks.Add(new PlannedNetwork(name, create));
        }
        return networks;
    }
}
