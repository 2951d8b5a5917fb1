using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Images;

/// <summary>
/// The image operations (DESIGN §4 "Images") as plans for the <see cref="OperationRunner"/>: each checks all its input
/// before anything reaches the cluster, and its run records a step per task slot, per service or per node.
/// </summary>
public sealed class ImageOperations(IImageChanges engine, ChangeLocks locks)
{
    public const string RolloutKind = "rollout";
    public const string ResumeKind = "rollout.resume";
    public const string RollbackKind = "rollback";
    public const string WavesKind = "rollout.waves";
    public const string DistributeKind = "images.distribute";

    /// <summary>The operation kinds that belong in a service's rollout history.</summary>
    public static readonly IReadOnlyList<string> HistoryKinds = [RolloutKind, ResumeKind, RollbackKind];

    /// <summary>How long one node may take to pull before its step fails.</summary>
    public static readonly TimeSpan PullTimeout = TimeSpan.FromMinutes(5);

    private readonly RolloutFollower _follower = new(engine);

    /// <summary>Rolling out or resuming on a service: its lock is the service's own, shared with scaling and every other service change.</summary>
    public static ChangeIntent RolloutIntent(string clusterId, ClusterService? service, string idOrName, string action = "services.rollout") =>
        new(Permissions.Services.Update, AccessTarget.InCluster(clusterId, service?.Stack), action, service?.Name ?? idOrName);

    /// <summary>
    /// A rollback has its own lock, so it can be asked for while a rollout runs (the rollout then ends "rolledback").
    /// A rollout refuses to start while a rollback holds it.
    /// </summary>
    public static ChangeIntent RollbackIntent(string clusterId, ClusterService? service, string idOrName) =>
        new(Permissions.Services.Update, AccessTarget.InCluster(clusterId, service?.Stack), "services.rollback", $"{service?.Name ?? idOrName} (rollback)");

    /// <summary>Plans a rollout of <paramref name="image"/> on <paramref name="service"/> with <paramref name="settings"/> over the service's own.</summary>
    public async Task<OperationPlan> PlanRolloutAsync(string clusterId, ClusterService service, string? image, UpdateSettings? settings, Func<string?, string> hostname, CancellationToken ct)
    {
        var policy = (settings ?? new UpdateSettings()).Apply(service.Details.Update);
        if (ImageReferenceSyntax.Validate(image) is { } malformed)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, malformed);
        }
        RefuseWhileMoving(clusterId, service);
        var check = await engine.CheckImageAsync(clusterId, image!, ct);
        return new OperationPlan(RolloutKind, (int)(service.ReplicasDesired ?? 0), async context =>
        {
            if (check.Warning is not null)
            {
                await context.StepAsync("registry", OperationStates.Skipped, check.Warning);
            }
            var change = await engine.SetImageAsync(clusterId, service.Id, check.Pinned, policy, context.Cancellation);
            // The spec's diff, with digests cut to 12 hex digits so the step reads on a page (the parameters keep the whole pinned reference).
            await context.StepAsync("spec", OperationStates.Succeeded,
                System.Text.RegularExpressions.Regex.Replace(SpecDiff.Compute(change.Before, change.After), "(sha256:[0-9a-f]{12})[0-9a-f]{52}", "$1…"));
            var outcome = await _follower.FollowAsync(context, clusterId, service.Id, check.Pinned, RolloutDirection.Update, hostname, stableFor: policy.Monitor);
            ThrowUnlessConverged(outcome);
        })
        {
            Target = service.Name,
            Parameters = new
            {
                image = check.Reference,
                pinned = check.Pinned,
                previousImage = service.Image,
                update = UpdateSettings.Of(policy),
            },
        };
    }

    /// <summary>Plans resuming an update Docker paused: the same spec written again, then followed to its end.</summary>
    public OperationPlan PlanResume(string clusterId, ClusterService service, Func<string?, string> hostname)
    {
        if (service.UpdateState is not ("paused" or "rollback_paused"))
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, $"{service.Name} has no paused update to resume (its update state is {service.UpdateState ?? "none"}).");
        }
        RefuseWhileRollingBack(clusterId, service);
        return new OperationPlan(ResumeKind, (int)(service.ReplicasDesired ?? 0), async context =>
        {
            await engine.ResumeAsync(clusterId, service.Id, context.Cancellation);
            var status = await engine.ReadRolloutAsync(clusterId, service.Id, context.Cancellation);
            var outcome = await _follower.FollowAsync(context, clusterId, service.Id, status.Service.Image, RolloutDirection.Update, hostname, stableFor: status.Service.Details.Update.Monitor);
            ThrowUnlessConverged(outcome);
        })
        {
            Target = service.Name,
            Parameters = new { image = service.Image, resumed = service.UpdateState, update = UpdateSettings.Of(service.Details.Update) },
        };
    }

    /// <summary>
    /// Plans a rollback to the service's previous spec, followed until every task runs it. Normally that is Docker's
    /// own rollback (<c>rollback=previous</c>). After a resume, though, Docker's previous spec is the spec that was
    /// resumed (writing a spec makes the current one "previous"), so rolling back to it would change nothing:
    /// <paramref name="restoreImage"/> (the image before the rollout, from its operation) is then set instead, with
    /// the service's rollback settings.
    /// </summary>
    public OperationPlan PlanRollback(string clusterId, ClusterService service, Func<string?, string> hostname, string? restoreImage = null)
    {
        var previous = service.Details.PreviousImage;
        var dockerCanRollBack = previous is not null && previous != service.Image;
        if (!dockerCanRollBack && restoreImage is null)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, previous is null
                ? $"{service.Name} has no previous spec to roll back to."
                : $"{service.Name}'s previous spec runs the same image ({ImageReferenceSyntax.WithoutDigest(previous)}), and no ControlPlane rollout recorded the image before it.");
        }
        if (service.UpdateState is "rollback_started")
        {
            throw new ChangeRejectedException(ChangeFailure.Conflict, $"Docker is rolling {service.Name} back already.");
        }
        return new OperationPlan(RollbackKind, (int)(service.ReplicasDesired ?? 0), async context =>
        {
            RolloutOutcome outcome;
            if (dockerCanRollBack)
            {
                await engine.RollbackAsync(clusterId, service.Id, context.Cancellation);
                var status = await engine.ReadRolloutAsync(clusterId, service.Id, context.Cancellation);
                outcome = await _follower.FollowAsync(context, clusterId, service.Id, status.Service.Image, RolloutDirection.Rollback, hostname);
            }
            else
            {
                await context.StepAsync("restore", OperationStates.Running,
                    $"Docker's previous spec is the resumed one; setting {ImageReferenceSyntax.WithoutDigest(restoreImage!)} again with the rollback settings");
                await engine.SetImageAsync(clusterId, service.Id, restoreImage!, service.Details.Rollback, context.Cancellation);
                outcome = await _follower.FollowAsync(context, clusterId, service.Id, restoreImage!, RolloutDirection.Update, hostname, stableFor: service.Details.Rollback.Monitor);
                await context.StepAsync("restore", outcome.End == RolloutEnd.Converged ? OperationStates.Succeeded : OperationStates.Failed, outcome.Error ?? "restored");
            }
            if (outcome.End != RolloutEnd.Converged)
            {
                throw new OperationFailedException(outcome.Error ?? "The rollback did not finish.");
            }
        })
        {
            Target = service.Name,
            Parameters = new { image = dockerCanRollBack ? previous : restoreImage, from = service.Image, rollback = UpdateSettings.Of(service.Details.Rollback) },
        };
    }

    /// <summary>
    /// Plans moving <paramref name="services"/> to their new images in waves of <paramref name="waveSize"/>: every
    /// service of a wave is updated at once, the wave waits until each has converged, and the first wave with a
    /// service that did not converge stops the operation (later waves are left as they were). Each service's lock is
    /// taken here, so no other change reaches them while the waves run.
    /// </summary>
    public async Task<OperationPlan> PlanWavesAsync(string clusterId, string target, IReadOnlyList<(ClusterService Service, string Image)> services, int? waveSize,
        UpdateSettings? settings, Func<string?, string> hostname, object parameters, CancellationToken ct)
    {
        if (services.Count == 0)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, $"No service matches {target}.");
        }
        if (waveSize is null or < 1)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, "waveSize must be 1 or more: how many services move at once.");
        }
        var policies = services.Select(s => (settings ?? new UpdateSettings()).Apply(s.Service.Details.Update)).ToList();
        foreach (var (service, image) in services)
        {
            if (ImageReferenceSyntax.Validate(image) is { } malformed)
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, malformed);
            }
            RefuseWhileMoving(clusterId, service);
        }
        var checks = new Dictionary<string, ImageCheck>(StringComparer.Ordinal);
        foreach (var image in services.Select(s => s.Image).Distinct(StringComparer.Ordinal))
        {
            checks[image] = await engine.CheckImageAsync(clusterId, image, ct);
        }
        var waves = services.Select((s, i) => (s.Service, Image: checks[s.Image].Pinned, Policy: policies[i])).Chunk(waveSize.Value).ToList();
        var steps = waves.SelectMany((wave, w) => wave.Select(s => new OperationStep($"{s.Service.Name}", OperationStates.Pending,
            $"wave {w + 1}: {ImageReferenceSyntax.WithoutDigest(s.Service.Image)} → {ImageReferenceSyntax.WithoutDigest(s.Image)}", DateTimeOffset.UtcNow))).ToList();
        return new OperationPlan(WavesKind, services.Count, async context =>
        {
            var done = 0;
            for (var w = 0; w < waves.Count; w++)
            {
                var wave = waves[w];
                await context.StepAsync($"wave {w + 1}", OperationStates.Running, $"{string.Join(", ", wave.Select(s => s.Service.Name))}");
                foreach (var (service, image, policy) in wave)
                {
                    await context.StepAsync(service.Name, OperationStates.Running, $"wave {w + 1}: updating to {ImageReferenceSyntax.WithoutDigest(image)}");
                    await engine.SetImageAsync(clusterId, service.Id, image, policy, context.Cancellation);
                }
                var outcomes = await Task.WhenAll(wave.Select(async s =>
                {
                    var outcome = await _follower.FollowAsync(context, clusterId, s.Service.Id, s.Image, RolloutDirection.Update, hostname, $"{s.Service.Name} ", reportProgress: false, stableFor: s.Policy.Monitor);
                    await context.StepAsync(s.Service.Name, outcome.End == RolloutEnd.Converged ? OperationStates.Succeeded : outcome.End == RolloutEnd.RolledBack ? OperationStates.RolledBack : OperationStates.Failed,
                        outcome.Error ?? $"wave {w + 1}: every task runs {ImageReferenceSyntax.WithoutDigest(s.Image)}");
                    if (outcome.End == RolloutEnd.Converged)
                    {
                        await context.ProgressAsync(Interlocked.Increment(ref done));
                    }
                    return (s.Service, outcome);
                }));
                var failed = outcomes.Where(o => o.outcome.End != RolloutEnd.Converged).ToList();
                if (failed.Count > 0)
                {
                    var message = $"Wave {w + 1} of {waves.Count} failed: {string.Join("; ", failed.Select(f => f.outcome.Error))}";
                    await context.StepAsync($"wave {w + 1}", OperationStates.Failed, message);
                    foreach (var later in waves.Skip(w + 1).SelectMany(x => x))
                    {
                        await context.StepAsync(later.Service.Name, OperationStates.Skipped, $"not touched: wave {w + 1} failed");
                    }
                    throw new OperationFailedException(message);
                }
                await context.StepAsync($"wave {w + 1}", OperationStates.Succeeded, $"{string.Join(", ", wave.Select(s => s.Service.Name))} converged");
            }
        })
        {
            Target = target,
            Steps = steps,
            Parameters = parameters,
            Locks = services.Select(s => OperationLock.OfService(clusterId, s.Service)).ToList(),
        };
    }

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
        var steps = nodes.Select(n => new OperationStep(n.Hostname, OperationStates.Pending, "waiting", DateTimeOffset.UtcNow) { Node = n.Hostname }).ToList();
        return new OperationPlan(DistributeKind, nodes.Count, async context =>
        {
            var done = 0;
            var results = await Task.WhenAll(nodes.Select(async node =>
            {
                var error = await PullOnNodeAsync(context, clusterId, reference, node);
                if (error is null)
                {
                    await context.ProgressAsync(Interlocked.Increment(ref done));
                }
                return (node, error);
            }));
            var failed = results.Where(r => r.error is not null).ToList();
            if (failed.Count > 0)
            {
                throw new OperationFailedException(
                    $"{failed.Count} of {nodes.Count} nodes do not have {reference}: {string.Join("; ", failed.Select(f => $"{f.node.Hostname}: {f.error}"))}");
            }
        })
        {
            Target = reference,
            Steps = steps,
            Parameters = new { image = reference, nodes = nodes.Select(n => n.Hostname).ToList(), service },
        };
    }

    /// <summary>The nodes a service's placement allows: its constraints on id, hostname, role and labels, on active nodes.</summary>
    public static IReadOnlyList<ClusterNode> AllowedNodes(ClusterState state, ClusterService service) =>
        state.Nodes.Where(n => service.Details.Constraints.All(c => PlacementConstraint.Allows(c, n))).OrderBy(n => n.Hostname, StringComparer.Ordinal).ToList();

    private async Task<string?> PullOnNodeAsync(OperationContext context, string clusterId, string image, ClusterNode node)
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
            var deadline = DateTimeOffset.UtcNow + PullTimeout;
            string? lastState = null;
            while (true)
            {
                // A manager that does not answer for a moment (an election, a restart) is waited for, as rollouts do.
                var task = await RolloutFollower.ReadPatientlyAsync(() => engine.ReadPullAsync(clusterId, job, context.Cancellation), _ => true, null, context.Cancellation);
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
                if (DateTimeOffset.UtcNow > deadline)
                {
                    var slow = $"no result after {PullTimeout.TotalMinutes:0} minutes (task {lastState ?? "not scheduled"})";
                    await context.StepAsync(node.Hostname, OperationStates.Failed, slow);
                    return slow;
                }
                await Task.Delay(RolloutFollower.PollInterval, context.Cancellation);
            }
        }
        finally
        {
            await engine.RemovePullAsync(clusterId, job, CancellationToken.None);
        }
    }

    private void RefuseWhileMoving(string clusterId, ClusterService service)
    {
        if (service.IsUpdating)
        {
            throw new ChangeRejectedException(ChangeFailure.Conflict,
                $"Docker is {(service.UpdateState == "updating" ? "updating" : "rolling back")} {service.Name} already; wait for it to finish or roll it back.");
        }
        RefuseWhileRollingBack(clusterId, service);
    }

    private void RefuseWhileRollingBack(string clusterId, ClusterService service)
    {
        if (locks.IsHeld(ChangeLocks.KeyOf(RollbackIntent(clusterId, service, service.Name))))
        {
            throw new ChangeRejectedException(ChangeFailure.Conflict, $"A rollback of {service.Name} is running; try again when it has finished.");
        }
    }

    private static void ThrowUnlessConverged(RolloutOutcome outcome)
    {
        switch (outcome.End)
        {
            case RolloutEnd.RolledBack:
                throw new OperationFailedException(outcome.Error!, rolledBack: true);
            case RolloutEnd.Paused:
                throw new OperationFailedException(outcome.Error + " — resume it (POST …/rollout/resume) or roll it back (POST …/rollback).");
        }
    }
}

/// <summary>What a pull job's task says about the pull: null while it runs.</summary>
public sealed record PullResult(bool Pulled, string Message)
{
    public static PullResult? Of(PullTaskStatus task) => task.State switch
    {
        "complete" => new PullResult(true, "pulled"),
        "failed" or "rejected" when task.Error is { } error && IsMissingImage(error) => new PullResult(false, $"the registry has no such image: {error}"),
        // The container was created, so the image is on the node; only the "true" the job runs failed.
        "failed" => new PullResult(true, $"pulled (the check command did not run cleanly: {task.Error ?? $"exit code {task.ExitCode}"})"),
        "rejected" or "orphaned" or "remove" or "shutdown" => new PullResult(false, task.Error ?? $"task {task.State}"),
        _ => null,
    };

    private static bool IsMissingImage(string error) =>
        error.Contains("No such image", StringComparison.OrdinalIgnoreCase)
        || error.Contains("not found", StringComparison.OrdinalIgnoreCase)
        || error.Contains("manifest unknown", StringComparison.OrdinalIgnoreCase)
        || error.Contains("pull access denied", StringComparison.OrdinalIgnoreCase);
}

/// <summary>Docker's placement constraints, read against a node: <c>node.id</c>, <c>node.hostname</c>, <c>node.role</c>, <c>node.labels.*</c> with == or !=.</summary>
public static class PlacementConstraint
{
    /// <summary>Whether <paramref name="node"/> satisfies <paramref name="constraint"/>; constraints this cannot read (engine labels, platform) allow every node.</summary>
    public static bool Allows(string constraint, ClusterNode node)
    {
        var equal = constraint.IndexOf("==", StringComparison.Ordinal);
        var notEqual = constraint.IndexOf("!=", StringComparison.Ordinal);
        var (at, wantsEqual) = equal >= 0 ? (equal, true) : notEqual >= 0 ? (notEqual, false) : (-1, true);
        if (at < 0)
        {
            return true;
        }
        var key = constraint[..at].Trim();
        var value = constraint[(at + 2)..].Trim();
        if (key is not ("node.id" or "node.hostname" or "node.role") && !key.StartsWith("node.labels.", StringComparison.Ordinal))
        {
            return true;
        }
        var actual = key switch
        {
            "node.id" => node.Id,
            "node.hostname" => node.Hostname,
            "node.role" => node.Role,
            _ => node.Labels.GetValueOrDefault(key["node.labels.".Length..]),
        };
        return string.Equals(actual, value, StringComparison.OrdinalIgnoreCase) == wantsEqual;
    }
}
