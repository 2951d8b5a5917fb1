using System.Text.Json;
using ControlPlane.Core.Changes;
using ControlPlane.Docker.Connection;
using Docker.DotNet.Models;

namespace ControlPlane.Docker.Changes;

/// <summary>Service and node changes through the Engine API: read-modify-write on the spec version, retried when it moved.</summary>
public sealed class DockerSwarmChanges(ClusterRegistry registry) : ISwarmChanges
{
    public static readonly IReadOnlySet<string> Availabilities = new HashSet<string> { "active", "pause", "drain" };

    public async Task<SpecChange> ScaleServiceAsync(string clusterId, string serviceId, long replicas, CancellationToken cancellationToken)
    {
        if (replicas < 0)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, "Replicas must be 0 or more.");
        }
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        return await EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            var (service, spec) = await EngineChanges.InspectServiceAsync(connection, engine, serviceId, cancellationToken);
            if (spec.Mode?.Replicated is null)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, $"{spec.Name} is a global service: it runs one task per eligible node and cannot be scaled.");
            }
            var before = JsonSerializer.Serialize(spec);
            spec.Mode.Replicated.Replicas = (ulong)replicas;
            await EngineChanges.UpdateServiceAsync(connection, engine, service, spec, cancellationToken);
            return await EngineChanges.SpecChangeAsync(connection, engine, service.ID!, before, cancellationToken);
        });
    }

    public async Task<SpecChange> SetNodeAvailabilityAsync(string clusterId, string nodeId, string availability, CancellationToken cancellationToken)
    {
        if (!Availabilities.Contains(availability))
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, $"'{availability}' is not an availability; use active, pause or drain.");
        }
        var (connection, engine) = await registry.ConnectForChangeAsync(clusterId, cancellationToken);
        return await EngineChanges.RetryOutOfSequenceAsync(async () =>
        {
            var node = await EngineChanges.NotFoundAsRejection(() => connection.CallAsync(engine.Client, c => c.Swarm.InspectNodeAsync(EngineReference.Check(nodeId, "node id or hostname"), cancellationToken)), $"Node '{nodeId}' does not exist.");
            var spec = node.Spec ?? throw new ChangeRejectedException(ChangeFailure.Failed, "The engine returned a node without a spec.");
            var before = JsonSerializer.Serialize(spec);
            var update = new NodeUpdateParameters { Name = spec.Name, Labels = spec.Labels, Role = spec.Role, Availability = availability };
            await connection.CallAsync(engine.Client, c => c.Swarm.UpdateNodeAsync(node.ID!, node.Version!.Index!.Value, update, cancellationToken));
            var after = await connection.CallAsync(engine.Client, c => c.Swarm.InspectNodeAsync(node.ID!, cancellationToken));
            return new SpecChange(before, JsonSerializer.Serialize(after.Spec));
        });
    }
}
