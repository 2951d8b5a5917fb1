using System.Text.Json.Nodes;

namespace ControlPlane.Core.Stacks;

/// <summary>
/// What the docker CLI does to a service spec between its Compose conversion and the engine, written once for the
/// deploy and the preview: the image tagged and pinned to its digest with the registry's platforms, the stack's
/// names resolved to ids, and the comparison that tells an unchanged service from one to update.
/// </summary>
public static class StackSpecs
{
    /// <summary>The label that keeps the image as the file wrote it, before the digest was pinned.</summary>
    public const string ImageLabel = "com.docker.stack.image";

    /// <summary>
    /// The image as the docker client sends it (<c>imageWithTagString</c>): Docker Hub's implied parts dropped and
    /// <c>:latest</c> added to a reference with neither tag nor digest.
    /// </summary>
    public static string Tagged(string image)
    {
        if (image.Contains('@', StringComparison.Ordinal))
        {
            return image;
        }
        var colon = image.LastIndexOf(':');
        var tagged = colon > image.LastIndexOf('/');
        var repository = tagged ? image[..colon] : image;
        var tag = tagged ? image[(colon + 1)..] : "latest";
        foreach (var registry in (ReadOnlySpan<string>)["docker.io/", "index.docker.io/"])
        {
            if (repository.StartsWith(registry, StringComparison.Ordinal))
            {
                repository = repository[registry.Length..];
                break;
            }
        }
        if (repository.StartsWith("library/", StringComparison.Ordinal) && repository.Count(c => c == '/') == 1)
        {
            repository = repository["library/".Length..];
        }
        return $"{repository}:{tag}";
    }

    /// <summary>The tagged image with the registry's digest (<c>image:tag@sha256:…</c>), unless it names a digest already.</summary>
    public static string WithDigest(string tagged, string digest) =>
        tagged.Contains('@', StringComparison.Ordinal) ? tagged : $"{tagged}@{digest}";

    public static JsonObject? ContainerOf(JsonObject spec) => (spec["TaskTemplate"] as JsonObject)?["ContainerSpec"] as JsonObject;

    public static string? ImageOf(JsonObject spec) => (string?)ContainerOf(spec)?["Image"];

    /// <summary>Sets the image the service runs: pinned with its platforms when the registry answered, else only tagged.</summary>
    public static void Pin(JsonObject spec, string tagged, PinnedImage? pinned)
    {
        if (ContainerOf(spec) is not { } container)
        {
            return;
        }
        container["Image"] = pinned?.Image ?? tagged;
        if (pinned?.Platforms is { Count: > 0 } platforms && spec["TaskTemplate"] is JsonObject task)
        {
            if (task["Placement"] is not JsonObject placement)
            {
                task["Placement"] = placement = [];
            }
            placement["Platforms"] = platforms.DeepClone();
        }
    }

    /// <summary>The networks a spec attaches to, by the name or id in their <c>Target</c>.</summary>
    public static IEnumerable<JsonObject> NetworksOf(JsonObject spec) =>
        Items((spec["TaskTemplate"] as JsonObject)?["Networks"]).Concat(Items(spec["Networks"]));

    /// <summary>The secret or config references of a spec (<c>SecretName</c>/<c>ConfigName</c> with their ids).</summary>
    public static IEnumerable<JsonObject> FilesOf(JsonObject spec, ReferenceKind kind) =>
        Items(ContainerOf(spec)?[kind == ReferenceKind.Secret ? "Secrets" : "Configs"]);

    /// <summary>
    /// The spec reduced to what it means, for comparison: what the engine fills in by default (an empty object, a
    /// <c>default</c> isolation, the <c>container</c> runtime, the <c>vip</c> endpoint mode, one replica) and the
    /// <c>ForceUpdate</c> counter the deploy keeps are dropped, and keys are sorted.
    /// </summary>
    public static JsonObject Canonical(JsonObject spec)
    {
        var copy = (JsonObject)spec.DeepClone();
        copy.Remove("Version");
        if (copy["TaskTemplate"] is JsonObject task)
        {
            task.Remove("ForceUpdate");
            if ((string?)task["Runtime"] == "container")
            {
                task.Remove("Runtime");
            }
            if (task["ContainerSpec"] is JsonObject container && (string?)container["Isolation"] == "default")
            {
                container.Remove("Isolation");
            }
        }
        if (copy["EndpointSpec"] is JsonObject endpoint && (string?)endpoint["Mode"] == "vip")
        {
            endpoint.Remove("Mode");
        }
        if (copy["Mode"] is JsonObject mode && mode["Replicated"] is JsonObject replicated && replicated["Replicas"] is null)
        {
            replicated["Replicas"] = 1;
        }
        if (copy["Mode"] is null)
        {
            copy["Mode"] = new JsonObject { ["Replicated"] = new JsonObject { ["Replicas"] = 1 } };
        }
        return (JsonObject)(Prune(copy) ?? new JsonObject());
    }

    /// <summary>Whether two specs mean the same service (see <see cref="Canonical"/>).</summary>
    public static bool Same(JsonObject current, JsonObject planned) => JsonNode.DeepEquals(Canonical(current), Canonical(planned));

    // Nulls, empty strings, false and empty objects and arrays are what the engine and the CLI leave out or fill in alike.
    private static JsonNode? Prune(JsonNode? node)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
            {
                var sorted = new JsonObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal).ToList())
                {
                    obj.Remove(key);
                    if (Prune(value) is { } kept)
                    {
                        sorted[key] = kept;
                    }
                }
                return sorted.Count == 0 ? null : sorted;
            }
            case JsonArray array:
            {
                var items = array.ToList();
                array.Clear();
                var kept = new JsonArray();
                foreach (var item in items)
                {
                    kept.Add(Prune(item) ?? new JsonObject());
                }
                return kept.Count == 0 ? null : kept;
            }
            case JsonValue value when value.TryGetValue<string>(out var text) && text.Length == 0:
            case JsonValue flag when flag.TryGetValue<bool>(out var b) && !b:
                return null;
            default:
                return node.DeepClone();
        }
    }

    private static IEnumerable<JsonObject> Items(JsonNode? node) => (node as JsonArray ?? []).OfType<JsonObject>();
}
