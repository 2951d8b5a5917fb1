using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Workloads;
using ControlPlane.Docker.Connection;
using ControlPlane.Docker.Watching;
using Docker.DotNet;
using Docker.DotNet.Models;
using JoinTokens = ControlPlane.Core.Workloads.JoinTokens;

namespace ControlPlane.Docker.Changes;

/// <summary>
/// Services, node roles and labels, node removal and join tokens through the manager's Engine API. Service specs travel
/// as the Engine API's own JSON (<c>POST /services/create</c>, <c>GET /services/{id}</c>, <c>POST /services/{id}/update</c>)
/// so no field Docker.DotNet 4.3.3 lacks is lost on a read-modify-write. Join tokens are handed back and never put in
/// a message: Docker's refusals name fields, not values.
/// </summary>
public sealed class DockerWorkloadChanges(ClusterRegistry registry) : IWorkloadChanges
{
    public async Task<JsonObject> ReadServiceSpecAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        var (_, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        var (_, spec) = await InspectAsync(engine, serviceId, cancellationToken);
        return spec;
    }

    public async Task<ClusterService> CreateServiceAsync(string clusterId, JsonObject spec, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        string id;
        try
        {
            var created = await SendAsync(engine, HttpMethod.Post, "services/create", spec, cancellationToken);
            id = (string?)created?["ID"] ?? throw new ChangeRejectedException(ChangeFailure.Failed, "The engine created the service but did not answer its id.");
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.Conflict)
        {
            throw new ChangeRejectedException(ChangeFailure.Conflict, $"A service named '{(string?)spec["Name"]}' exists already: {EngineChanges.Reason(ex)}");
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.BadRequest)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, $"Docker refused the service: {EngineChanges.Reason(ex)}");
        }
        var service = await connection.CallAsync(engine.Client, c => c.Swarm.InspectServiceAsync(EngineReference.Check(id, "service id or name"), cancellationToken));
        return DockerModelMapper.ToService(service);
    }

    public async Task<SpecChange> UpdateServiceSpecAsync(string clusterId, string serviceId, Func<JsonObject, JsonObject> edit, CancellationToken cancellationToken)
    {
        var (_, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        return await EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            var (version, spec) = await InspectAsync(engine, serviceId, cancellationToken);
            var before = spec.ToJsonString();
            var updated = edit((JsonObject)spec.DeepClone());
            try
            {
                await SendAsync(engine, HttpMethod.Post, $"services/{serviceId}/update?version={version}", updated, cancellationToken);
            }
            catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.BadRequest)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, $"Docker refused the change: {EngineChanges.Reason(ex)}");
            }
            var (_, after) = await InspectAsync(engine, serviceId, cancellationToken);
            return new SpecChange(before, after.ToJsonString());
        });
    }

    public async Task<SpecChange> RemoveServiceAsync(string clusterId, string serviceId, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        var (_, spec) = await InspectAsync(engine, serviceId, cancellationToken);
        await EngineChanges.NotFoundAsRejection(async () =>
        {
            await connection.CallAsync(engine.Client, c => c.Swarm.RemoveServiceAsync(EngineReference.Check(serviceId, "service id or name"), cancellationToken));
            return true;
        }, $"Service '{serviceId}' does not exist.");
        return new SpecChange(spec.ToJsonString(), "{}");
    }

    public Task<SpecChange> SetNodeRoleAsync(string clusterId, string nodeId, string role, CancellationToken cancellationToken) =>
        UpdateNodeAsync(clusterId, nodeId, spec => new NodeUpdateParameters { Name = spec.Name, Labels = spec.Labels, Availability = spec.Availability, Role = role }, cancellationToken);

    public Task<SpecChange> SetNodeLabelsAsync(string clusterId, string nodeId, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken) =>
        UpdateNodeAsync(clusterId, nodeId, spec => new NodeUpdateParameters { Name = spec.Name, Labels = new Dictionary<string, string>(labels), Availability = spec.Availability, Role = spec.Role }, cancellationToken);

    public async Task RemoveNodeAsync(string clusterId, string nodeId, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        try
        {
            await connection.CallAsync(engine.Client, c => c.Swarm.RemoveNodeAsync(EngineReference.Check(nodeId, "node id or hostname"), false, cancellationToken));
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ChangeRejectedException(ChangeFailure.NotFound, $"Node '{nodeId}' does not exist.");
        }
        catch (DockerApiException ex) when (ex.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Conflict or HttpStatusCode.InternalServerError)
        {
            // Docker refuses a node that is not down, or a manager, with its own words.
            throw new ChangeRejectedException(ChangeFailure.Conflict, $"Docker refused to remove the node: {EngineChanges.Reason(ex)}");
        }
    }

    public async Task<JoinTokens> ReadJoinTokensAsync(string clusterId, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        var swarm = await connection.CallAsync(engine.Client, c => c.Swarm.InspectSwarmAsync(cancellationToken));
        var nodes = await connection.CallAsync(engine.Client, c => c.Swarm.ListNodesAsync(cancellationToken: cancellationToken));
        var addresses = nodes
            .Where(n => n.ManagerStatus is { Addr: { Length: > 0 } } status && string.Equals(status.Reachability, "reachable", StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(n => n.ManagerStatus!.Leader)
            .Select(n => n.ManagerStatus!.Addr!)
            .ToList();
        return new JoinTokens(swarm.JoinTokens?.Worker ?? "", swarm.JoinTokens?.Manager ?? "", addresses);
    }

    public async Task RotateJoinTokenAsync(string clusterId, string role, CancellationToken cancellationToken)
    {
        var (_, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        var flag = role == "manager" ? "rotateManagerToken" : "rotateWorkerToken";
        await EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            // The swarm's spec goes back as the engine gave it, so no setting Docker.DotNet does not know is lost.
            var swarm = await SendAsync(engine, HttpMethod.Get, "swarm", null, cancellationToken);
            var version = ServiceSpecs.Number(swarm?["Version"]?["Index"]) ?? throw new ChangeRejectedException(ChangeFailure.Failed, "The engine returned a swarm without a version.");
            var spec = swarm?["Spec"]?.DeepClone() ?? throw new ChangeRejectedException(ChangeFailure.Failed, "The engine returned a swarm without a spec.");
            await SendAsync(engine, HttpMethod.Post, $"swarm/update?version={version}&{flag}=true", spec, cancellationToken);
            return true;
        });
    }

    /// <summary>
    /// How long a node change keeps trying while the managers cannot commit it: a role change needs every manager's
    /// Raft log to take it, and a manager just promoted may still be catching up ("context deadline exceeded").
    /// </summary>
    private static readonly TimeSpan NodeChangePatience = TimeSpan.FromSeconds(60);

    private async Task<SpecChange> UpdateNodeAsync(string clusterId, string nodeId, Func<NodeUpdateParameters, NodeUpdateParameters> edit, CancellationToken cancellationToken)
    {
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        var started = DateTimeOffset.UtcNow;
        string? before = null;
        for (var attempt = 1; ; attempt++)
        {
            var node = await EngineChanges.NotFoundAsRejection(() => connection.CallAsync(engine.Client, c => c.Swarm.InspectNodeAsync(EngineReference.Check(nodeId, "node id or hostname"), cancellationToken)), $"Node '{nodeId}' does not exist.");
            var spec = node.Spec ?? throw new ChangeRejectedException(ChangeFailure.Failed, "The engine returned a node without a spec.");
            var current = new NodeUpdateParameters { Name = spec.Name, Labels = spec.Labels, Role = spec.Role, Availability = spec.Availability };
            before ??= JsonSerializer.Serialize(spec);
            var update = edit(current);
            if (attempt > 1 && Same(update, current))
            {
                // An earlier attempt that timed out was committed after all.
                return new SpecChange(before, JsonSerializer.Serialize(spec));
            }
            try
            {
                await connection.CallAsync(engine.Client, c => c.Swarm.UpdateNodeAsync(node.ID!, node.Version!.Index!.Value, update, cancellationToken));
                var after = await connection.CallAsync(engine.Client, c => c.Swarm.InspectNodeAsync(node.ID!, cancellationToken));
                return new SpecChange(before, JsonSerializer.Serialize(after.Spec));
            }
            catch (DockerApiException ex) when ((EngineChanges.IsOutOfSequence(ex) || IsDeadlineExceeded(ex)) && DateTimeOffset.UtcNow - started < NodeChangePatience)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 250 * attempt)), cancellationToken);
            }
            catch (DockerApiException ex) when (ex.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.InternalServerError or HttpStatusCode.ServiceUnavailable)
            {
                // Docker keeps its own quorum guard ("can't remove member … loss of quorum"): its words reach the caller.
                throw new ChangeRejectedException(ChangeFailure.Conflict, $"Docker refused the node change: {EngineChanges.Reason(ex)}");
            }
        }
    }

    private static bool IsDeadlineExceeded(DockerApiException ex) =>
        ex.ResponseBody?.Contains("deadline exceeded", StringComparison.OrdinalIgnoreCase) == true;

    private static bool Same(NodeUpdateParameters a, NodeUpdateParameters b) =>
        string.Equals(a.Role, b.Role, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.Availability, b.Availability, StringComparison.OrdinalIgnoreCase)
        && (a.Labels ?? new Dictionary<string, string>()).OrderBy(l => l.Key).SequenceEqual((b.Labels ?? new Dictionary<string, string>()).OrderBy(l => l.Key));

    /// <summary>The service's version index and its spec, as the engine's own JSON.</summary>
    private static async Task<(long Version, JsonObject Spec)> InspectAsync(ConnectedEngine engine, string serviceId, CancellationToken ct)
    {
        JsonNode? service;
        try
        {
            service = await SendAsync(engine, HttpMethod.Get, $"services/{EngineReference.Segment(serviceId, "service id or name")}?insertDefaults=false", null, ct);
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ChangeRejectedException(ChangeFailure.NotFound, $"Service '{serviceId}' does not exist.");
        }
        var version = ServiceSpecs.Number(service?["Version"]?["Index"]) ?? throw new ChangeRejectedException(ChangeFailure.Failed, "The engine returned a service without a version.");
        var spec = service?["Spec"] as JsonObject ?? throw new ChangeRejectedException(ChangeFailure.Failed, "The engine returned a service without a spec.");
        return (version, (JsonObject)spec.DeepClone());
    }

    /// <summary>One Engine API call with a JSON body and answer; an error status becomes a <see cref="DockerApiException"/> as Docker.DotNet's would.</summary>
    private static async Task<JsonNode?> SendAsync(ConnectedEngine engine, HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        using var http = EngineHttp.Create(engine.Endpoint);
        using var request = new HttpRequestMessage(method, $"v{engine.ApiVersion}/{path}");
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new DockerApiException(response.StatusCode, text);
        }
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }
}
