using System.Security.Claims;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Web.Authorization;

namespace ControlPlane.Web.Changes;

/// <summary>
/// Rollouts, rollbacks, waves and image distribution as pages and the API start them: the target is found in the
/// store (a service's stack decides who may act on it), then the <see cref="OperationRunner"/> checks, locks, audits
/// and runs the plan <see cref="ImageOperations"/> makes.
/// </summary>
public sealed class ImageChanges(ClusterStateStore store, AccessControl access, OperationRunner runner, ImageOperations operations, IOperationStore history)
{
    public async Task<OperationStart> RolloutAsync(ClaimsPrincipal user, string? clientAddress, string clusterId, string idOrName, string? image, UpdateSettings? update, CancellationToken ct = default)
    {
        var service = Find(clusterId, idOrName);
        return await runner.StartAsync(await access.CallerAsync(user, clientAddress, ct), ImageOperations.RolloutIntent(clusterId, service, idOrName), token =>
            operations.PlanRolloutAsync(clusterId, Require(clusterId, idOrName, service), image, update, Hostnames(clusterId), token), ct);
    }

    public async Task<OperationStart> ResumeAsync(ClaimsPrincipal user, string? clientAddress, string clusterId, string idOrName, CancellationToken ct = default)
    {
        var service = Find(clusterId, idOrName);
        return await runner.StartAsync(await access.CallerAsync(user, clientAddress, ct), ImageOperations.RolloutIntent(clusterId, service, idOrName, "services.rollout.resume"), _ =>
            Task.FromResult(operations.PlanResume(clusterId, Require(clusterId, idOrName, service), Hostnames(clusterId))), ct);
    }

    public async Task<OperationStart> RollbackAsync(ClaimsPrincipal user, string? clientAddress, string clusterId, string idOrName, CancellationToken ct = default)
    {
        var service = Find(clusterId, idOrName);
        return await runner.StartAsync(await access.CallerAsync(user, clientAddress, ct), ImageOperations.RollbackIntent(clusterId, service, idOrName), async token =>
        {
            var found = Require(clusterId, idOrName, service);
            return operations.PlanRollback(clusterId, found, Hostnames(clusterId), await ImageBeforeLastRolloutAsync(clusterId, found, token));
        }, ct);
    }

    /// <summary>
    /// Moves every service of <paramref name="stack"/> to <paramref name="image"/>, or every service whose image is from
    /// <paramref name="repository"/> to that repository at the tag or digest <paramref name="image"/>, in waves. A stack
    /// needs services.update on the stack; a repository may span stacks, so it needs it on the whole cluster.
    /// </summary>
    public async Task<OperationStart> WavesAsync(ClaimsPrincipal user, string? clientAddress, string clusterId, string? stack, string? repository, string? image, int? waveSize, UpdateSettings? update, CancellationToken ct = default)
    {
        var byStack = !string.IsNullOrWhiteSpace(stack);
        var subject = byStack ? $"stack {stack!.Trim()}" : $"repository {repository?.Trim()}";
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster(clusterId, byStack ? stack!.Trim() : null), "services.rollout.waves", $"waves of {subject}");
        return await runner.StartAsync(await access.CallerAsync(user, clientAddress, ct), intent, token =>
        {
            var state = store.GetState(clusterId) ?? throw ChangeRejections.NoCluster(clusterId);
            if (byStack == !string.IsNullOrWhiteSpace(repository))
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, "Give either stack or repository, not both and not neither.");
            }
            if (string.IsNullOrWhiteSpace(image))
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, byStack ? "image is required: the reference every service of the stack moves to." : "image is required: the tag or digest the repository's services move to.");
            }
            IReadOnlyList<(ClusterService, string)> services;
            if (byStack)
            {
                services = state.Services.Where(s => s.Stack == stack!.Trim()).OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => (s, image.Trim())).ToList();
            }
            else
            {
                var wanted = ImageReference.Parse(repository!.Trim()).Repository;
                var reference = ImageReferenceSyntax.WithTagOrDigest(repository.Trim(), image.Trim());
                services = state.Services.Where(s => ImageReference.Parse(s.Image).Repository == wanted).OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => (s, reference)).ToList();
            }
            return operations.PlanWavesAsync(clusterId, subject, services, waveSize, update, Hostnames(clusterId),
                new { stack, repository, image, waveSize, update, services = services.Select(s => s.Item1.Name).ToList() }, token);
        }, ct);
    }

    /// <summary>
    /// Pulls <paramref name="image"/> onto <paramref name="nodes"/> (ids or hostnames), or onto every node when none are
    /// given: all of the cluster's, or those <paramref name="service"/>'s placement allows.
    /// </summary>
    public async Task<OperationStart> DistributeAsync(ClaimsPrincipal user, string? clientAddress, string clusterId, string? image, IReadOnlyList<string>? nodes, string? service, CancellationToken ct = default)
    {
        var intent = new ChangeIntent(Permissions.Images.Distribute, AccessTarget.InCluster(clusterId), "images.distribute", $"image {image?.Trim()}");
        return await runner.StartAsync(await access.CallerAsync(user, clientAddress, ct), intent, _ =>
        {
            var state = store.GetState(clusterId) ?? throw ChangeRejections.NoCluster(clusterId);
            ClusterService? placed = null;
            if (!string.IsNullOrWhiteSpace(service))
            {
                placed = state.FindService(service.Trim()) ?? throw ChangeRejections.NoService(clusterId, service);
            }
            IReadOnlyList<ClusterNode> chosen;
            if (nodes is { Count: > 0 })
            {
                var found = nodes.Select(n => (Name: n, Node: state.FindNode(n))).ToList();
                if (found.FirstOrDefault(f => f.Node is null) is { Name: { } unknown })
                {
                    throw new ChangeRejectedException(ChangeFailure.Invalid, $"Cluster '{clusterId}' has no node '{unknown}'.");
                }
                chosen = found.Select(f => f.Node!).DistinctBy(n => n.Id).OrderBy(n => n.Hostname, StringComparer.Ordinal).ToList();
            }
            else
            {
                chosen = placed is null ? state.Nodes.OrderBy(n => n.Hostname, StringComparer.Ordinal).ToList() : ImageOperations.AllowedNodes(state, placed);
            }
            return Task.FromResult(operations.PlanDistribution(clusterId, image, chosen, placed?.Name));
        }, ct);
    }

    /// <summary>The service's past rollouts, resumes and rollbacks, newest first.</summary>
    public async Task<IReadOnlyList<Operation>> HistoryAsync(string clusterId, string serviceName, CancellationToken ct = default)
    {
        var all = new List<Operation>();
        foreach (var kind in ImageOperations.HistoryKinds)
        {
            all.AddRange(await history.ListAsync(new OperationQuery(clusterId, kind, serviceName, Limit: 50), ct));
        }
        return all.OrderByDescending(o => o.CreatedAt).ToList();
    }

    /// <summary>The image the service ran before its latest rollout through ControlPlane, when that rollout recorded one.</summary>
    private async Task<string?> ImageBeforeLastRolloutAsync(string clusterId, ClusterService service, CancellationToken ct)
    {
        var rollouts = await history.ListAsync(new OperationQuery(clusterId, ImageOperations.RolloutKind, service.Name, Limit: 1), ct);
        if (rollouts.FirstOrDefault()?.Parameters is not { } parameters)
        {
            return null;
        }
        using var json = System.Text.Json.JsonDocument.Parse(parameters);
        return json.RootElement.TryGetProperty("previousImage", out var previous) ? previous.GetString() : null;
    }

    private ClusterService? Find(string clusterId, string idOrName) => store.GetState(clusterId)?.FindService(idOrName);

    private static ClusterService Require(string clusterId, string idOrName, ClusterService? service) =>
        service ?? throw ChangeRejections.NoService(clusterId, idOrName);

    /// <summary>Node ids to hostnames, read from the live state at each call (nodes can join while an operation runs).</summary>
    private Func<string?, string> Hostnames(string clusterId) => id =>
        id is null ? "(unassigned)" : store.GetState(clusterId)?.Nodes.FirstOrDefault(n => n.Id == id)?.Hostname ?? id;
}
