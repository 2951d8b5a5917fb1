using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ControlPlane.SwarmSimulator.Tests;

/// <summary>
/// The JSON shape of Engine API answers: every path (field names, recursively; array items merged) with the kinds
/// of value seen there. Objects keyed by data rather than by field name (labels, attributes, options…) count as maps.
/// </summary>
public static partial class Shapes
{
    /// <summary>Objects whose keys are data: their values' shapes are compared under one key, <c>*</c>.</summary>
    private static readonly HashSet<string> Maps = new(StringComparer.Ordinal)
    {
        "Labels", "Attributes", "Options", "Containers", "Networks", "IndexConfigs", "Runtimes", "ExposedPorts",
        "PortBindings", "DriverOpts", "Sysctls", "Volumes", "LogConfig.Config", "GraphDriver.Data", "NetworkSettings.Ports",
    };

    private static bool IsMap(string path)
    {
        var segments = path.Split('.');
        return Maps.Contains(segments[^1]) || segments.Length > 1 && Maps.Contains($"{segments[^2]}.{segments[^1]}");
    }

    /// <summary>A route, its ids replaced: <c>GET /services/{id}</c>. The version prefix is dropped.</summary>
    public static string Route(Exchange exchange)
    {
        var path = VersionPrefix().Replace(exchange.Path, "");
        var segments = path.Trim('/').Split('/');
        if (segments[0] == "distribution")
        {
            return $"{exchange.Method} /distribution/{{name}}/json";
        }
        for (var i = 1; i < segments.Length; i++)
        {
            if (segments[i] is not ("json" or "create" or "update" or "logs"))
            {
                segments[i] = "{id}";
            }
        }
        return $"{exchange.Method} /{string.Join('/', segments)}";
    }

    [GeneratedRegex(@"^/v\d+\.\d+")]
    private static partial Regex VersionPrefix();

    /// <summary>The JSON values of a body: one, or one per line for a stream of events.</summary>
    public static IReadOnlyList<JsonElement> Values(byte[] body)
    {
        // The engine writes one JSON value per line (a stream of events has many); a line cut short is dropped.
        var values = new List<JsonElement>();
        foreach (var line in Encoding.UTF8.GetString(body).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                values.Add(JsonDocument.Parse(line).RootElement.Clone());
            }
            catch (JsonException)
            {
            }
        }
        return values;
    }

    /// <summary>Adds the shape of <paramref name="value"/> under <paramref name="path"/> to <paramref name="shape"/>.</summary>
    public static void Add(Dictionary<string, HashSet<string>> shape, string path, JsonElement value)
    {
        var kinds = shape.TryGetValue(path, out var existing) ? existing : shape[path] = [];
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                kinds.Add("object");
                var map = IsMap(path);
                foreach (var property in value.EnumerateObject())
                {
                    Add(shape, $"{path}.{(map ? "*" : property.Name)}", property.Value);
                }
                break;
            case JsonValueKind.Array:
                kinds.Add("array");
                foreach (var item in value.EnumerateArray())
                {
                    Add(shape, path + "[]", item);
                }
                break;
            case JsonValueKind.String:
                kinds.Add("string");
                break;
            case JsonValueKind.Number:
                kinds.Add("number");
                break;
            case JsonValueKind.True or JsonValueKind.False:
                kinds.Add("bool");
                break;
            default:
                kinds.Add("null");
                break;
        }
    }

    /// <summary>What differs between two shapes: paths one has and the other lacks, and paths whose kinds never agree.</summary>
    public static IReadOnlyList<string> Differences(string route, Dictionary<string, HashSet<string>> real, Dictionary<string, HashSet<string>> simulated)
    {
        var problems = new List<string>();
        foreach (var (path, kinds) in real.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!simulated.TryGetValue(path, out var simulatedKinds))
            {
                // A null the real engine sends where the simulator sends nothing is the same to a client, and so is
                // content under a field the simulator sends as null: dockerd itself answers DefaultAddrPool null on a
                // new swarm and ["10.0.0.0/8"] once the manager has restarted.
                if (!kinds.SetEquals(["null"]) && !UnderNull(path, simulated))
                {
                    problems.Add($"{route}: missing {path} ({string.Join('|', kinds)})");
                }
                continue;
            }
            var realValues = kinds.Where(k => k != "null").ToHashSet();
            var simulatedValues = simulatedKinds.Where(k => k != "null").ToHashSet();
            if (realValues.Count > 0 && simulatedValues.Count > 0 && !realValues.Overlaps(simulatedValues))
            {
                problems.Add($"{route}: {path} is {string.Join('|', kinds)} from the engine but {string.Join('|', simulatedKinds)} from the simulator");
            }
        }
        foreach (var (path, kinds) in simulated.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!real.ContainsKey(path) && !kinds.SetEquals(["null"]) && !UnderNull(path, real))
            {
                problems.Add($"{route}: added {path} ({string.Join('|', kinds)})");
            }
        }
        return problems;
    }

    /// <summary>Whether a field that holds <paramref name="path"/> was seen as null in <paramref name="shape"/>.</summary>
    private static bool UnderNull(string path, Dictionary<string, HashSet<string>> shape)
    {
        for (var end = path.Length - 1; end > 0; end--)
        {
            var boundary = path[end] == '.' || path[end] == '[';
            if (boundary && shape.TryGetValue(path[..end], out var kinds) && kinds.Contains("null"))
            {
                return true;
            }
        }
        return false;
    }

    public static string Describe(Dictionary<string, HashSet<string>> shape)
    {
        var text = new StringBuilder();
        foreach (var (path, kinds) in shape.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.AppendLine($"{path}: {string.Join('|', kinds)}");
        }
        return text.ToString();
    }
}
