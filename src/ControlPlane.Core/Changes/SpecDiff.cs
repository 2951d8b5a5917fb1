using System.Text.Json.Nodes;

namespace ControlPlane.Core.Changes;

/// <summary>A before/after diff of two JSON specs, one changed path per line ("Mode.Replicated.Replicas: 1 → 3").</summary>
public static class SpecDiff
{
    public static string Compute(string beforeJson, string afterJson)
    {
        var lines = new List<string>();
        Walk("", JsonNode.Parse(beforeJson), JsonNode.Parse(afterJson), lines);
        return string.Join('\n', lines);
    }

    private static void Walk(string path, JsonNode? before, JsonNode? after, List<string> lines)
    {
        if (before is JsonObject a && after is JsonObject b)
        {
            foreach (var key in a.Select(p => p.Key).Union(b.Select(p => p.Key)).Order(StringComparer.Ordinal))
            {
                Walk(path.Length == 0 ? key : $"{path}.{key}", a[key], b[key], lines);
            }
        }
        else if (before is JsonArray x && after is JsonArray y && x.Count == y.Count)
        {
            for (var i = 0; i < x.Count; i++)
            {
                Walk($"{path}[{i}]", x[i], y[i], lines);
            }
        }
        else if (!JsonNode.DeepEquals(before, after))
        {
            lines.Add($"{path}: {Show(before)} → {Show(after)}");
        }
    }

    private static string Show(JsonNode? node) => node?.ToJsonString() ?? "(none)";
}
