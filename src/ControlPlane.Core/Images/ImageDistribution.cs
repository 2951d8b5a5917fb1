using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Images;

/// <summary>
/// Image distribution (DESIGN §4 "Images") as a plan for the <see cref="OperationRunner"/>: pulls an image onto chosen
/// nodes before a rollout, each node through a one-task swarm job pinned to it, with a step per node.
/// </summary>
public sealed class ImageDistribution(IImageChanges engine, TimeProvider time)
{
    public const string DistributeKind = "images.distribute";

    /// <summary>How long one node may take to pull before its step fails.</summary>
    public static readonly TimeSpan PullTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Plans pulling <paramref name="image"/> onto <paramref name="nodes"/>. Nodes that are down or drained get a failed
    /// step at once (their engines cannot run the pull); the others each run a one-task job pinned to them.
    /// </summary>
    public OperationPlan PlanDistribution(string clusterId, string? image, IReadOnlyList<ClusterNode> nodes, string? service)
    {
        if (ImageReferenceSyntax.Validate(image) is { } malformed)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, malformed);
        }
        if (nodes.Count == 0)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, service is null ? "No node to pull onto." : $"{service}'s placement allows no node.");
        }
        var reference = image!.Trim();
        var steps = nodes.Select(n => new OperationStep(n.Hostname, OperationStates.Pending, "waiting", time.GetUtcNow()) { Node = n.Hostname }).ToList();
        return new OperationPlan(DistributeKind, nodes.Count, context => PullAllAsync(context, clusterId, reference, nodes, 0, nodes.Count, leftovers: false))
        {
            Target = reference,
            Steps = steps,
            Parameters = new DistributionParameters(reference, [.. nodes.Select(n => n.Hostname)], service),
        };
    }

    /// <summary>What a distribution's record keeps, for a replica that carries it on.</summary>
    public sealed record DistributionParameters(string? Image, IReadOnlyList<string>? Nodes, string? Service);

    /// <summary>
    /// Carries on a distribution another replica started and stopped (DESIGN §8): a node whose step succeeded has the
    /// image; every other node pulls again (pulling twice is harmless), after the stopped replica's pull job for it,
    /// if one is left, is removed. A node gone from the cluster fails its step.
    /// </summary>
    public OperationPlan PlanCarryOn(Operation operation, ClusterState state)
    {
        var kept = operation.ParametersAs<DistributionParameters>();
        var reference = kept?.Image ?? operation.Target;
        var hostnames = kept?.Nodes ?? [];
        var pulled = hostnames.Where(h => operation.FindStep(h)?.State == OperationStates.Succeeded).ToList();
        var rest = hostnames.Except(pulled).ToList();
        return new OperationPlan(DistributeKind, hostnames.Count, async context =>
        {
            var gone = rest.Where(h => state.FindNode(h) is null).ToList();
            foreach (var hostname in gone)
            {
                await context.StepAsync(hostname, OperationStates.Failed, "the node left the cluster");
            }
            var nodes = rest.Select(state.FindNode).OfType<ClusterNode>().ToList();
            await PullAllAsync(context, operation.ClusterId, reference, nodes, pulled.Count, hostnames.Count, leftovers: true,
                gone.Select(h => (h, "the node left the cluster")).ToList());
        })
        {
            Target = reference,
        };
    }

    /// <summary>Pulls onto every node at once, a step each; fails naming every node that did not get the image.</summary>
    private async Task PullAllAsync(OperationContext context, string clusterId, string reference, IReadOnlyList<ClusterNode> nodes, int done, int total, bool leftovers,
        IReadOnlyList<(string Hostname, string Error)>? alreadyFailed = null)
    {
        var results = await Task.WhenAll(nodes.Select(async node =>
        {
            var error = await PullOnNodeAsync(context, clusterId, reference, node, leftovers);
            if (error is null)
            {
                await context.ProgressAsync(Interlocked.Increment(ref done));
            }
            return (node.Hostname, Error: error);
        }));
        var failed = results.Where(r => r.Error is not null).Select(r => (r.Hostname, r.Error!)).Concat(alreadyFailed ?? []).ToList();
        if (failed.Count > 0)
        {
            throw new OperationFailedException(
                $"{failed.Count} of {total} nodes do not have {reference}: {string.Join("; ", failed.Select(f => $"{f.Item1}: {f.Item2}"))}");
        }
    }

    /// <param name="leftover">A stopped replica may have left this node's pull job behind: remove it first (its name is the same).</param>
    private async Task<string?> PullOnNodeAsync(OperationContext context, string clusterId, string image, ClusterNode node, bool leftover)
    {
        if (node.State != "ready")
        {
            var down = $"node is {node.State}: its engine cannot pull";
            await context.StepAsync(node.Hostname, OperationStates.Failed, down);
            return down;
        }
        if (node.Availability is "drain" or "pause")
        {
            var drained = $"node is {(node.Availability == "drain" ? "drained" : "paused")}: the swarm schedules no new task there, so it cannot pull";
            await context.StepAsync(node.Hostname, OperationStates.Failed, drained);
            return drained;
        }
        await context.StepAsync(node.Hostname, OperationStates.Running, $"pulling {image}");
        var name = $"cp-pull-{context.Current.Id[..Math.Min(10, context.Current.Id.Length)]}-{node.Id[..Math.Min(10, node.Id.Length)]}";
        string job;
        try
        {
            if (leftover)
            {
                await engine.RemovePullAsync(clusterId, name, context.Cancellation);
            }
            job = await engine.StartPullAsync(clusterId, image, node.Id, name, new Dictionary<string, string> { ["controlplane.distribution"] = context.Current.Id }, context.Cancellation);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            var refused = $"the swarm refused the pull job: {ex.Message}";
            await context.StepAsync(node.Hostname, OperationStates.Failed, refused);
            return refused;
        }
        try
        {
            var deadline = time.GetUtcNow() + PullTimeout;
            string? lastState = null;
            while (true)
            {
                // A manager that does not answer for a moment (an election, a restart) is waited for, as rollouts do.
                var task = await ManagerPolling.ReadPatientlyAsync(() => engine.ReadPullAsync(clusterId, job, context.Cancellation), _ => true, null, time, context.Cancellation);
                if (task is not null && task.State != lastState)
                {
                    lastState = task.State;
                    if (PullResult.Of(task) is { } result)
                    {
                        await context.StepAsync(node.Hostname, result.Pulled ? OperationStates.Succeeded : OperationStates.Failed, result.Message);
                        return result.Pulled ? null : result.Message;
                    }
                    await context.StepAsync(node.Hostname, OperationStates.Running, $"{task.State}: pulling {image}");
                }
                if (time.GetUtcNow() > deadline)
                {
                    var slow = $"no result after {PullTimeout.TotalMinutes:0} minutes (task {lastState ?? "not scheduled"})";
                    await context.StepAsync(node.Hostname, OperationStates.Failed, slow);
                    return slow;
                }
                await ManagerPolling.WaitAsync(time, context.Cancellation);
            }
        }
        finally
        {
            await engine.RemovePullAsync(clusterId, job, CancellationToken.None);
        }
    }
}
