using System.Text.Json;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Core.Workloads;

namespace ControlPlane.Core.Changes;

/// <summary>
/// The application commands on nodes that pages and the API offer, run through the <see cref="ChangeGate"/>
/// against the node the store knows. Not to be confused with <see cref="ISwarmChanges"/> and <see cref="IWorkloadChanges"/>, the engine ports.
/// </summary>
public sealed class NodeCommands(ClusterStateStore store, ChangeGate gate, ISwarmChanges swarm, IWorkloadChanges workloads)
{
    public static readonly IReadOnlyList<string> NodeRoles = ["manager", "worker"];

    public Task<ChangeResult> SetAvailabilityAsync(ChangeCaller caller, string clusterId, string idOrHostname, string? availability, CancellationToken ct = default)
    {
        var node = store.GetState(clusterId)?.FindNode(idOrHostname);
        var intent = new ChangeIntent(Permissions.Nodes.Update, AccessTarget.InCluster(clusterId), "nodes.availability", node?.Hostname ?? idOrHostname);
        return gate.RunAsync(caller, intent, token =>
            node is null ? throw NoNode(clusterId, idOrHostname)
            : swarm.SetNodeAvailabilityAsync(clusterId, node.Id, availability?.Trim().ToLowerInvariant() ?? "", token), ct);
    }

    /// <summary>
    /// Promotes a node to manager or demotes it to worker. A demotion that would cost the swarm its quorum (or its
    /// last manager) is refused with why (<see cref="Quorum"/>); a change that leaves an even number of managers
    /// succeeds with a warning in its message.
    /// </summary>
    public async Task<ChangeResult> SetRoleAsync(ChangeCaller caller, string clusterId, string idOrHostname, string? role, CancellationToken ct = default)
    {
        var state = store.GetState(clusterId);
        var node = state?.FindNode(idOrHostname);
        var intent = new ChangeIntent(Permissions.Nodes.Update, AccessTarget.InCluster(clusterId), "nodes.role", node?.Hostname ?? idOrHostname)
        {
            // One role change at a time per cluster: the quorum arithmetic of two at once would each see the other undone.
            Lock = $"{clusterId}/node-roles",
        };
        var wanted = role?.Trim().ToLowerInvariant() ?? "";
        string? warning = null;
        var result = await gate.PassAsync(caller, intent, async (_, token) =>
        {
            if (node is null)
            {
                throw NoNode(clusterId, idOrHostname);
            }
            if (!NodeRoles.Contains(wanted))
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, $"role '{role}' is not one of manager, worker.");
            }
            var managers = state!.Nodes.Count(n => n.Role == "manager");
            if (node.Role == wanted)
            {
                return new Acted<bool>(true, $"{node.Hostname} is a {wanted} already; nothing changed.");
            }
            if (wanted == "worker" && Quorum.RefuseDemotion(state.Nodes, node) is { } refused)
            {
                throw new ChangeRejectedException(ChangeFailure.Conflict, refused);
            }
            var change = await workloads.SetNodeRoleAsync(clusterId, node.Id, wanted, token);
            warning = Quorum.EvenWarning(wanted == "manager" ? managers + 1 : managers - 1);
            var message = $"{node.Hostname} is now a {wanted}." + (warning is null ? "" : $" {warning}");
            return new Acted<bool>(true, message, Detail: warning, Diff: SpecDiff.Compute(change.Before, change.After));
        }, ct);
        return result.WithoutValue();
    }

    /// <summary>Replaces the node's labels with <paramref name="labels"/> (keys checked); the result carries the diff.</summary>
    public Task<ChangeResult> SetLabelsAsync(ChangeCaller caller, string clusterId, string idOrHostname, IReadOnlyDictionary<string, string>? labels, CancellationToken ct = default)
    {
        var node = store.GetState(clusterId)?.FindNode(idOrHostname);
        var intent = new ChangeIntent(Permissions.Nodes.Update, AccessTarget.InCluster(clusterId), "nodes.labels", node?.Hostname ?? idOrHostname);
        return gate.RunAsync(caller, intent, token =>
        {
            if (node is null)
            {
                throw NoNode(clusterId, idOrHostname);
            }
            if (labels is null)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, "labels is required: the node's labels as {key: value} (an empty map removes them all).");
            }
            var problems = labels.Keys.Select(ServiceSpecs.ValidateLabelKey).OfType<string>().Select(m => new InputProblem(0, 0, "labels", m)).ToList();
            if (problems.Count > 0)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, string.Join(" ", problems.Select(p => p.Message)), problems);
            }
            return workloads.SetNodeLabelsAsync(clusterId, node.Id, labels, token);
        }, ct);
    }

    /// <summary>
    /// Removes a node from the swarm: only one that is down (a node that is up must be stopped, or leave the swarm,
    /// first) and not a manager (demote it first). The audit record keeps the node's spec.
    /// </summary>
    public Task<ChangeResult> RemoveAsync(ChangeCaller caller, string clusterId, string idOrHostname, CancellationToken ct = default)
    {
        var node = store.GetState(clusterId)?.FindNode(idOrHostname);
        var intent = new ChangeIntent(Permissions.Nodes.Remove, AccessTarget.InCluster(clusterId), "nodes.remove", node?.Hostname ?? idOrHostname);
        return gate.RunAsync(caller, intent, async token =>
        {
            if (node is null)
            {
                throw NoNode(clusterId, idOrHostname);
            }
            if (node.Role == "manager")
            {
                throw new ChangeRejectedException(ChangeFailure.Conflict, $"{node.Hostname} is a manager: demote it to worker first, then remove it once it is down.");
            }
            if (node.State != "down")
            {
                throw new ChangeRejectedException(ChangeFailure.Conflict,
                    $"{node.Hostname} is {node.State}, not down: drain it (its tasks move elsewhere), then stop its engine or run 'docker swarm leave' on it, and remove it once the swarm sees it down.");
            }
            await workloads.RemoveNodeAsync(clusterId, node.Id, token);
            return new SpecChange(JsonSerializer.Serialize(new { node.Hostname, node.Role, node.Availability, node.State, node.Labels }), "{}");
        }, ct);
    }

    private static ChangeRejectedException NoNode(string clusterId, string idOrHostname) =>
        new(ChangeFailure.NotFound, $"Cluster '{clusterId}' has no node '{idOrHostname}'.");
}
