using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Images;

/// <summary>
/// The image commands pages and the API offer: rollout, resume, rollback, waves and distribution. The target is found
/// in the store (a service's stack, never a name the caller typed, decides who may act on it), then the
/// <see cref="OperationRunner"/> checks the caller, locks, audits and runs the plan <see cref="RolloutPlans"/> or
/// <see cref="ImageDistribution"/> makes. (The engine port is <see cref="IImageChanges"/>.)
/// </summary>
public sealed class ImageCommands(ClusterStateStore store, OperationRunner runner, RolloutPlans rollouts, ImageDistribution distribution, RolloutHistory history) : IOperationResumer
{
    public bool Resumes(string kind) => RolloutPlans.CarriesOn(kind) || kind == ImageDistribution.DistributeKind;

    /// <summary>
    /// A rollout, resume or rollback another replica started and stopped (DESIGN §8), carried on under the lock it
    /// started with (<see cref="RolloutPlans.PlanCarryOn"/>); a service gone from ControlPlane's picture fails it.
    /// </summary>
    public OperationResumption Resume(Operation operation)
    {
        if (operation.Kind == ImageDistribution.DistributeKind)
        {
            return new OperationResumption(DistributeIntent(operation.ClusterId, operation.Target),
                distribution.PlanCarryOn(operation, store.GetState(operation.ClusterId) ?? throw ChangeRejections.NoCluster(operation.ClusterId)));
        }
        var service = Find(operation.ClusterId, operation.Target);
        var intent = operation.Kind switch
        {
            RolloutPlans.RollbackKind => RolloutPlans.RollbackIntent(operation.ClusterId, service, operation.Target),
            RolloutPlans.ResumeKind => RolloutPlans.RolloutIntent(operation.ClusterId, service, operation.Target, "services.rollout.resume"),
            _ => RolloutPlans.RolloutIntent(operation.ClusterId, service, operation.Target),
        };
        if (service is null)
        {
            return new OperationResumption(intent, OperationPlan.TargetGone(operation));
        }
        return new OperationResumption(intent, rollouts.PlanCarryOn(operation, service, store.Hostnames(operation.ClusterId)));
    }

    public Task<ChangeResult> RolloutAsync(ChangeCaller caller, string clusterId, string idOrName, string? image, UpdateSettings? update, CancellationToken ct = default)
    {
        var service = Find(clusterId, idOrName);
        return runner.StartAsync(caller, RolloutPlans.RolloutIntent(clusterId, service, idOrName), token =>
            rollouts.PlanRolloutAsync(clusterId, Require(clusterId, idOrName, service), image, update, store.Hostnames(clusterId), token), ct);
    }

    public Task<ChangeResult> ResumeAsync(ChangeCaller caller, string clusterId, string idOrName, CancellationToken ct = default)
    {
        var service = Find(clusterId, idOrName);
        return runner.StartAsync(caller, RolloutPlans.RolloutIntent(clusterId, service, idOrName, "services.rollout.resume"), _ =>
            Task.FromResult(rollouts.PlanResume(clusterId, Require(clusterId, idOrName, service), store.Hostnames(clusterId))), ct);
    }

    public Task<ChangeResult> RollbackAsync(ChangeCaller caller, string clusterId, string idOrName, CancellationToken ct = default)
    {
        var service = Find(clusterId, idOrName);
        return runner.StartAsync(caller, RolloutPlans.RollbackIntent(clusterId, service, idOrName), async token =>
        {
            var found = Require(clusterId, idOrName, service);
            return rollouts.PlanRollback(clusterId, found, store.Hostnames(clusterId), await history.ImageBeforeLastRolloutAsync(clusterId, found.Name, token));
        }, ct);
    }

    /// <summary>
    /// Moves every service of <paramref name="stack"/> to <paramref name="image"/>, or every service whose image is from
    /// <paramref name="repository"/> to that repository at the tag or digest <paramref name="image"/>, in waves. A stack
    /// needs services.update on the stack; a repository may span stacks, so it needs it on the whole cluster.
    /// </summary>
    public Task<ChangeResult> WavesAsync(ChangeCaller caller, string clusterId, string? stack, string? repository, string? image, int? waveSize, UpdateSettings? update, CancellationToken ct = default)
    {
        var byStack = !string.IsNullOrWhiteSpace(stack);
        var subject = byStack ? $"stack {stack!.Trim()}" : $"repository {repository?.Trim()}";
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster(clusterId, byStack ? stack!.Trim() : null), "services.rollout.waves", $"waves of {subject}");
        return runner.StartAsync(caller, intent, token =>
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
            return rollouts.PlanWavesAsync(clusterId, subject, services, waveSize, update, store.Hostnames(clusterId),
                new { stack, repository, image, waveSize, update, services = services.Select(s => s.Item1.Name).ToList() }, token);
        }, ct);
    }

    /// <summary>
    /// Pulls <paramref name="image"/> onto <paramref name="nodes"/> (ids or hostnames), or onto every node when none are
    /// given: all of the cluster's, or those <paramref name="service"/>'s placement allows.
    /// </summary>
    public Task<ChangeResult> DistributeAsync(ChangeCaller caller, string clusterId, string? image, IReadOnlyList<string>? nodes, string? service, CancellationToken ct = default)
    {
        return runner.StartAsync(caller, DistributeIntent(clusterId, image?.Trim()), _ =>
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
                chosen = placed is null ? state.Nodes.OrderBy(n => n.Hostname, StringComparer.Ordinal).ToList() : PlacementConstraint.AllowedNodes(state, placed);
            }
            return Task.FromResult(distribution.PlanDistribution(clusterId, image, chosen, placed?.Name));
        }, ct);
    }

    private static ChangeIntent DistributeIntent(string clusterId, string? image) =>
        new(Permissions.Images.Distribute, AccessTarget.InCluster(clusterId), "images.distribute", $"image {image}");

    private ClusterService? Find(string clusterId, string idOrName) => store.GetState(clusterId)?.FindService(idOrName);

    private static ClusterService Require(string clusterId, string idOrName, ClusterService? service) =>
        service ?? throw ChangeRejections.NoService(clusterId, idOrName);
}
