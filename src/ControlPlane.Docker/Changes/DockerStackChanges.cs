using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.Stacks;
using ControlPlane.Docker.Connection;

namespace ControlPlane.Docker.Changes;

/// <summary>
/// Stack deploys and removals through the Engine API in its own JSON (DESIGN §9): service specs go to the engine as
/// the plan wrote them, so no field is lost to a model that does not know it. One manager connection is reused for a
/// few seconds, so a deploy of many objects does not ask the engine who it is before every call.
/// </summary>
public sealed class DockerStackChanges(ClusterRegistry registry, TimeProvider time) : IStackChanges, IDisposable
{
    private static readonly TimeSpan ConnectionReuse = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, (ConnectedEngine Engine, DateTimeOffset At)> _engines = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HttpClient> _http = new(StringComparer.Ordinal);

    public async Task<EngineStack> ReadStackAsync(string clusterId, string stack, CancellationToken cancellationToken)
    {
        var filter = Uri.EscapeDataString(JsonSerializer.Serialize(new Dictionary<string, string[]> { ["label"] = [$"{ClusterVisibility.StackLabel}={stack}"] }));
        var reads = await Task.WhenAll(
            GetArrayAsync(clusterId, $"services?filters={filter}", cancellationToken),
            GetArrayAsync(clusterId, $"networks?filters={filter}", cancellationToken),
            GetArrayAsync(clusterId, $"secrets?filters={filter}", cancellationToken),
            GetArrayAsync(clusterId, $"configs?filters={filter}", cancellationToken));
        // The engine's label filter is exact for key=value; checked again so nothing of another stack can slip in.
        bool Ours(EngineObject o) => o.Labels.GetValueOrDefault(ClusterVisibility.StackLabel) == stack;
        var services = reads[0].Select(ToService).Where(s => LabelsOf(s.Spec).GetValueOrDefault(ClusterVisibility.StackLabel) == stack)
            .OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        return new EngineStack(services,
            reads[1].Select(ToNetwork).Where(Ours).ToList(),
            reads[2].Select(ToFileObject).Where(Ours).ToList(),
            reads[3].Select(ToFileObject).Where(Ours).ToList());
    }

    public async Task<IReadOnlyList<EngineObject>> ListAsync(string clusterId, ReferenceKind kind, CancellationToken cancellationToken)
    {
        var items = await GetArrayAsync(clusterId, kind switch { ReferenceKind.Secret => "secrets", ReferenceKind.Config => "configs", _ => "networks" }, cancellationToken);
        return items.Select(kind == ReferenceKind.Network ? (Func<JsonNode, EngineObject>)ToNetwork : ToFileObject).ToList();
    }

    public async Task<PinnedImage?> ResolveImageAsync(string clusterId, string image, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(clusterId, HttpMethod.Get, $"distribution/{image}/json", null, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) as JsonObject;
        if ((string?)body?["Descriptor"]?["digest"] is not { Length: > 0 } digest)
        {
            return null;
        }
        JsonArray? platforms = null;
        if (body["Platforms"] is JsonArray { Count: > 0 } listed)
        {
            platforms = [];
            foreach (var platform in listed.OfType<JsonObject>())
            {
                // As the docker client: "arm" is dropped, because nodes report the variant ("armv7l") and would never match.
                var architecture = (string?)platform["architecture"] ?? "";
                platforms.Add(new JsonObject
                {
                    ["Architecture"] = string.Equals(architecture, "arm", StringComparison.OrdinalIgnoreCase) ? "" : architecture,
                    ["OS"] = (string?)platform["os"] ?? "",
                });
            }
        }
        return new PinnedImage(StackSpecs.WithDigest(image, digest), platforms);
    }

    public async Task<EngineService?> InspectServiceAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(clusterId, HttpMethod.Get, $"services/{EngineReference.Segment(serviceId, "service id or name")}", null, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        var body = await EnsureAsync(response, $"service {serviceId}", cancellationToken);
        return ToService(JsonNode.Parse(body)!);
    }

    public async Task<string> CreateServiceAsync(string clusterId, JsonObject spec, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(clusterId, HttpMethod.Post, "services/create", spec, cancellationToken);
        var body = await EnsureAsync(response, $"service {(string?)spec["Name"]}", cancellationToken);
        return (string?)JsonNode.Parse(body)?["ID"] ?? "";
    }

    public async Task UpdateServiceAsync(string clusterId, string serviceId, long version, JsonObject spec, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(clusterId, HttpMethod.Post, $"services/{EngineReference.Segment(serviceId, "service id or name")}/update?version={version}", spec, cancellationToken);
        await EnsureAsync(response, $"service {(string?)spec["Name"]}", cancellationToken);
    }

    public Task RemoveServiceAsync(string clusterId, string serviceId, CancellationToken cancellationToken) =>
        RemoveAsync(clusterId, $"services/{EngineReference.Segment(serviceId, "service id or name")}", $"service {serviceId}", cancellationToken);

    public async Task<string> CreateNetworkAsync(string clusterId, JsonObject create, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(clusterId, HttpMethod.Post, "networks/create", create, cancellationToken);
        var body = await EnsureAsync(response, $"network {(string?)create["Name"]}", cancellationToken);
        return (string?)JsonNode.Parse(body)?["Id"] ?? "";
    }

    public Task RemoveNetworkAsync(string clusterId, string networkId, CancellationToken cancellationToken) =>
        RemoveAsync(clusterId, $"networks/{EngineReference.Segment(networkId, "network id or name")}", $"network {networkId}", cancellationToken);

    public Task RemoveFileObjectAsync(string clusterId, FileObjectKind kind, string id, CancellationToken cancellationToken) =>
        RemoveAsync(clusterId, $"{kind.Facts().Plural}/{EngineReference.Segment(id, "id or name")}", $"{kind.Facts().Noun} {id}", cancellationToken);

    private async Task RemoveAsync(string clusterId, string path, string what, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(clusterId, HttpMethod.Delete, path, null, cancellationToken);
        if (response.StatusCode != HttpStatusCode.NotFound)
        {
            await EnsureAsync(response, what, cancellationToken);
        }
    }

    /// <summary>The body of a successful answer; otherwise the engine's message as a refusal: a moved version or an object in use is a conflict.</summary>
    private static async Task<string> EnsureAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return body;
        }
        var message = MessageOf(body);
        var failure = response.StatusCode switch
        {
            _ when message.Contains("out of sequence", StringComparison.OrdinalIgnoreCase) => ChangeFailure.Conflict,
            _ when message.Contains("in use", StringComparison.OrdinalIgnoreCase) || message.Contains("active endpoints", StringComparison.OrdinalIgnoreCase) => ChangeFailure.Conflict,
            HttpStatusCode.Conflict => ChangeFailure.Conflict,
            HttpStatusCode.NotFound => ChangeFailure.NotFound,
            HttpStatusCode.BadRequest => ChangeFailure.Invalid,
            _ => ChangeFailure.Failed,
        };
        throw new ChangeRejectedException(failure, $"Docker refused {what}: {message}");
    }

    private static string MessageOf(string body)
    {
        try
        {
            return (string?)JsonNode.Parse(body)?["message"] ?? body.Trim();
        }
        catch (JsonException)
        {
            return body.Trim();
        }
    }

    private async Task<IReadOnlyList<JsonNode>> GetArrayAsync(string clusterId, string path, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(clusterId, HttpMethod.Get, path, null, cancellationToken);
        var body = await EnsureAsync(response, path, cancellationToken);
        return (JsonNode.Parse(body) as JsonArray ?? []).OfType<JsonNode>().ToList();
    }

    private async Task<HttpResponseMessage> SendAsync(string clusterId, HttpMethod method, string path, JsonObject? body, CancellationToken cancellationToken)
    {
        var (connection, engine) = await ConnectAsync(clusterId, cancellationToken);
        var http = _http.GetOrAdd(engine.Endpoint.Uri.ToString(), _ => EngineHttp.Create(engine.Endpoint));
        using var request = new HttpRequestMessage(method, $"v{engine.ApiVersion}/{path}");
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        try
        {
            return await connection.CallAsync(engine.Client, _ => http.SendAsync(request, cancellationToken));
        }
        catch (HttpRequestException ex)
        {
            // The manager went away: the next call asks again which one answers.
            _engines.TryRemove(clusterId, out _);
            throw new ChangeRejectedException(ChangeFailure.Failed, $"Cluster '{clusterId}' did not answer: {ex.Message}");
        }
    }

    private async Task<(ClusterConnection, ConnectedEngine)> ConnectAsync(string clusterId, CancellationToken cancellationToken)
    {
        var connection = registry.Find(clusterId) ?? throw new ChangeRejectedException(ChangeFailure.NotFound, $"No cluster has the id '{clusterId}'.");
        if (_engines.TryGetValue(clusterId, out var known) && time.GetUtcNow() - known.At < ConnectionReuse)
        {
            return (connection, known.Engine);
        }
        var (_, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        _engines[clusterId] = (engine, time.GetUtcNow());
        return (connection, engine);
    }

    private static EngineService ToService(JsonNode node) => new(
        (string?)node["ID"] ?? "",
        (string?)node["Spec"]?["Name"] ?? "",
        (long?)node["Version"]?["Index"] ?? 0,
        node["Spec"]?.DeepClone() as JsonObject ?? []);

    private static EngineObject ToFileObject(JsonNode node) => new((string?)node["ID"] ?? "", (string?)node["Spec"]?["Name"] ?? "", LabelsOf(node["Spec"] as JsonObject));

    private static EngineObject ToNetwork(JsonNode node) =>
        new((string?)node["Id"] ?? "", (string?)node["Name"] ?? "", LabelsOf(node as JsonObject)) { Scope = (string?)node["Scope"] };

    private static Dictionary<string, string> LabelsOf(JsonObject? owner) =>
        (owner?["Labels"] as JsonObject ?? []).Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal);

    public void Dispose()
    {
        foreach (var http in _http.Values)
        {
            http.Dispose();
        }
    }
}
