using System.Net.Sockets;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

// Not ControlPlane.Web.Tests.Stacks: that namespace would hide the Stacks page type from the component tests.
namespace ControlPlane.Web.Tests.StackConformance;

/// <summary>
/// A stack as the engine holds it, normalised so that two deployments of the same Compose file compare equal: the
/// same file deployed by <c>docker stack deploy</c> as one stack and by ControlPlane as another must give the same
/// text. The stack's name becomes <see cref="Placeholder"/>; ids, versions, timestamps, endpoint and update status,
/// secret and config ids and the swarm-assigned network details are dropped; network ids become network names;
/// objects are keyed by name and their keys sorted. What stays is what the two deploys decided.
/// </summary>
public static class StackSnapshot
{
    public const string Placeholder = "<stack>";
    private const string NamespaceLabel = "com.docker.stack.namespace";

    /// <summary>An HttpClient for the engine at DOCKER_HOST-style <paramref name="endpoint"/> (unix:// or tcp://), on API 1.41.</summary>
    public static HttpClient EngineClient(string endpoint)
    {
        var uri = new Uri(endpoint);
        if (uri.Scheme == "unix")
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, cancel) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(uri.AbsolutePath), cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                },
            };
            return new HttpClient(handler) { BaseAddress = new Uri("http://engine/v1.41/") };
        }
        return new HttpClient { BaseAddress = new Uri($"http://{uri.Authority}/v1.41/") };
    }

    /// <summary>Reads the stack's services, networks, secrets and configs and normalises them.</summary>
    public static async Task<JsonObject> TakeAsync(HttpClient engine, string stack, CancellationToken cancel = default)
    {
        var filter = Uri.EscapeDataString(JsonSerializer.Serialize(new { label = new[] { $"{NamespaceLabel}={stack}" } }));
        async Task<JsonArray> Get(string path) =>
            JsonNode.Parse(await engine.GetStringAsync(path, cancel))?.AsArray() ?? [];
        return Normalise(
            stack,
            await Get($"services?filters={filter}"),
            await Get("networks"),
            await Get($"secrets?filters={filter}"),
            await Get($"configs?filters={filter}"));
    }

    /// <summary>
    /// The normalised picture of <paramref name="stack"/> from the engine's own lists: <paramref name="networks"/> is
    /// every network (to turn the ids services attach to into names); the stack's are picked by their label.
    /// </summary>
    public static JsonObject Normalise(string stack, JsonArray services, JsonArray networks, JsonArray secrets, JsonArray configs)
    {
        var networkNames = networks.OfType<JsonObject>()
            .Where(n => n["Id"] is not null)
            .ToDictionary(n => (string)n["Id"]!, n => (string?)n["Name"] ?? "");

        var serviceSpecs = new JsonObject();
        foreach (var service in services.OfType<JsonObject>().Where(s => OfStack(s["Spec"], stack)).OrderBy(s => (string?)s["Spec"]!["Name"], StringComparer.Ordinal))
        {
            var spec = service["Spec"]!.DeepClone().AsObject();
            var task = spec["TaskTemplate"] as JsonObject;
            foreach (var attachment in (task?["Networks"] as JsonArray ?? []).Concat(spec["Networks"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if ((string?)attachment["Target"] is { } target && networkNames.TryGetValue(target, out var name))
                {
                    attachment["Target"] = name;
                }
            }
            if (task?["ContainerSpec"] is JsonObject container)
            {
                foreach (var reference in (container["Secrets"] as JsonArray ?? []).Concat(container["Configs"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    reference.Remove("SecretID");
                    reference.Remove("ConfigID");
                }
            }
            serviceSpecs[Rename((string)spec["Name"]!, stack)] = spec;
        }

        var stackNetworks = new JsonObject();
        foreach (var network in networks.OfType<JsonObject>().Where(n => OfStack(n, stack)).OrderBy(n => (string?)n["Name"], StringComparer.Ordinal))
        {
            var copy = network.DeepClone().AsObject();
            foreach (var swarmAssigned in new[] { "Id", "Created", "Containers", "Peers", "Services" })
            {
                copy.Remove(swarmAssigned);
            }
            // The subnet and gateway come from the swarm's pool unless the file fixed them, and the VXLAN id is per network.
            (copy["IPAM"] as JsonObject)?.Remove("Config");
            (copy["Options"] as JsonObject)?.Remove("com.docker.network.driver.overlay.vxlanid_list");
            stackNetworks[Rename((string)copy["Name"]!, stack)] = copy;
        }

        return Sorted(Placeholders(new JsonObject
        {
            ["services"] = serviceSpecs,
            ["networks"] = stackNetworks,
            ["secrets"] = Objects(secrets, stack),
            ["configs"] = Objects(configs, stack),
        }, stack))!.AsObject();
    }

    /// <summary>Two snapshots as text, for an equality assertion with a readable difference.</summary>
    public static string Text(JsonObject snapshot) =>
        snapshot.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private static JsonObject Objects(JsonArray objects, string stack)
    {
        var result = new JsonObject();
        foreach (var item in objects.OfType<JsonObject>().Where(o => OfStack(o["Spec"], stack)).OrderBy(o => (string?)o["Spec"]!["Name"], StringComparer.Ordinal))
        {
            var spec = item["Spec"]!.DeepClone().AsObject();
            spec.Remove("Data");
            result[Rename((string)spec["Name"]!, stack)] = spec;
        }
        return result;
    }

    private static bool OfStack(JsonNode? labelled, string stack) => (string?)labelled?["Labels"]?[NamespaceLabel] == stack;

    private static string Rename(string name, string stack) =>
        name == stack ? Placeholder : name.StartsWith(stack + "_", StringComparison.Ordinal) ? Placeholder + name[stack.Length..] : name;

    /// <summary>The stack's name wherever it stands as a value or a name prefix (labels, targets, sources, aliases).</summary>
    private static JsonNode? Placeholders(JsonNode? node, string stack)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    obj[key] = Placeholders(obj[key]?.DeepClone(), stack);
                }
                return obj;
            case JsonArray array:
                return new JsonArray([.. array.Select(i => Placeholders(i?.DeepClone(), stack))]);
            case JsonValue value when value.TryGetValue<string>(out var text):
                return JsonValue.Create(Rename(text, stack));
            default:
                return node;
        }
    }

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value?.DeepClone())))),
        JsonArray array => new JsonArray([.. array.Select(i => Sorted(i?.DeepClone()))]),
        _ => node?.DeepClone(),
    };
}
