using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;

namespace ControlPlane.Core.Images;

/// <summary>
/// Rollouts, resumes, rollbacks and waves (DESIGN §4 "Images") as plans for the <see cref="OperationRunner"/>: each
/// checks all its input before anything reaches the cluster, and its run follows Docker task slot by task slot.
/// </summary>
public sealed class RolloutPlans(IImageChanges engine, ChangeLocks locks, TimeProvider time)
{
    public const string RolloutKind = "rollout";
    public const string ResumeKind = "rollout.resume";
    public const string RollbackKind = "rollback";
    public const string WavesKind = "rollout.waves";

    /// <summary>The operation kinds that belong in a service's rollout history.</summary>
    public static readonly IReadOnlyList<string> HistoryKinds = [RolloutKind, ResumeKind, RollbackKind];

    private readonly RolloutFollower _follower = new(engine, time);

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
            // dockerRollback tells a replica adopting the rollback (DESIGN §8) which of the two ways it was going.
            Parameters = new { image = dockerCanRollBack ? previous : restoreImage, from = service.Image, rollback = UpdateSettings.Of(service.Details.Rollback), dockerRollback = dockerCanRollBack },
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
            $"wave {w + 1}: {ImageReferenceSyntax.WithoutDigest(s.Service.Image)} → {ImageReferenceSyntax.WithoutDigest(s.Image)}", time.GetUtcNow()))).ToList();
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
    /// What a rollout's, resume's or rollback's record keeps that <see cref="PlanCarryOn"/> reads back: the image it moves
    /// to (pinned to a digest for a rollout) and the policies it moves by.
    /// </summary>
    private sealed record RolloutParameters(string? Image, string? Pinned, UpdateSettings? Update, UpdateSettings? Rollback, bool? DockerRollback);

    /// <summary>The kinds <see cref="PlanCarryOn"/> carries on: one service followed while Docker moves it.</summary>
    public static bool CarriesOn(string kind) => kind is RolloutKind or ResumeKind or RollbackKind;

    /// <summary>
    /// Carries on a rollout, resume or rollback another replica started and stopped (DESIGN §8). The update itself is
    /// Docker's: it went on without ControlPlane, so carrying on means asking for it again only if the stopped replica
    /// had not got that far (each request is made only when the service shows it was not), then following the service
    /// to its end and finishing the record. The image and update policy come from the operation's parameters.
    /// </summary>
    public OperationPlan PlanCarryOn(Operation operation, ClusterService service, Func<string?, string> hostname)
    {
        var kept = operation.ParametersAs<RolloutParameters>();
        var image = kept?.Image;
        var pinned = kept?.Pinned ?? image;
        var update = kept?.Update?.Apply(UpdatePolicy.Default) ?? service.Details.Update;
        var rollback = kept?.Rollback?.Apply(UpdatePolicy.Default) ?? service.Details.Rollback;
        var dockerRollback = kept?.DockerRollback == true;
        var specWritten = operation.FindStep("spec")?.State == OperationStates.Succeeded;
        var clusterId = operation.ClusterId;
        Func<OperationContext, Task> run = operation.Kind switch
        {
            RolloutKind when pinned is { } target => async context =>
            {
                var policy = update;
                // The "spec" step is recorded right after the spec is written: without it the stopped replica may not
                // have written it, and writing the same image and policy again changes nothing if it had.
                if (!specWritten)
                {
                    var change = await engine.SetImageAsync(clusterId, service.Id, target, policy, context.Cancellation);
                    await context.StepAsync("spec", OperationStates.Succeeded,
                        System.Text.RegularExpressions.Regex.Replace(SpecDiff.Compute(change.Before, change.After), "(sha256:[0-9a-f]{12})[0-9a-f]{52}", "$1…"));
                }
                ThrowUnlessConverged(await _follower.FollowAsync(context, clusterId, service.Id, target, RolloutDirection.Update, hostname, stableFor: policy.Monitor));
            },
            ResumeKind => async context =>
            {
                var status = await engine.ReadRolloutAsync(clusterId, service.Id, context.Cancellation);
                if (status.Service.UpdateState is "paused" or "rollback_paused")
                {
                    // Still paused: the stopped replica had not resumed it yet.
                    await engine.ResumeAsync(clusterId, service.Id, context.Cancellation);
                    status = await engine.ReadRolloutAsync(clusterId, service.Id, context.Cancellation);
                }
                ThrowUnlessConverged(await _follower.FollowAsync(context, clusterId, service.Id, status.Service.Image, RolloutDirection.Update, hostname, stableFor: status.Service.Details.Update.Monitor));
            },
            RollbackKind when image is { } target => async context =>
            {
                var status = await engine.ReadRolloutAsync(clusterId, service.Id, context.Cancellation);
                var there = SameImage(status.Service.Image, target);
                RolloutOutcome outcome;
                if (dockerRollback)
                {
                    // Docker's spec already on the previous image means the rollback was asked for; asking again would swap back.
                    if (!there && status.Service.UpdateState is not "rollback_started")
                    {
                        await engine.RollbackAsync(clusterId, service.Id, context.Cancellation);
                    }
                    outcome = await _follower.FollowAsync(context, clusterId, service.Id, target, RolloutDirection.Rollback, hostname);
                }
                else
                {
                    var policy = rollback;
                    if (!there)
                    {
                        await engine.SetImageAsync(clusterId, service.Id, target, policy, context.Cancellation);
                    }
                    outcome = await _follower.FollowAsync(context, clusterId, service.Id, target, RolloutDirection.Update, hostname, stableFor: policy.Monitor);
                    await context.StepAsync("restore", outcome.End == RolloutEnd.Converged ? OperationStates.Succeeded : OperationStates.Failed, outcome.Error ?? "restored");
                }
                if (outcome.End != RolloutEnd.Converged)
                {
                    throw new OperationFailedException(outcome.Error ?? "The rollback did not finish.");
                }
            },
            _ => _ => throw new OperationFailedException($"The replica running this {operation.Kind} stopped, and its record does not say which image it was moving {service.Name} to: check {service.Name}."),
        };
        return new OperationPlan(operation.Kind, operation.Progress.Total, run)
        {
            Target = service.Name,
        };
    }

    /// <summary>Two references name the same image: the same repository and tag, and the same digest when both have one.</summary>
    private static bool SameImage(string a, string b) =>
        ImageReferenceSyntax.WithoutDigest(a) == ImageReferenceSyntax.WithoutDigest(b)
        && (ImageReferenceSyntax.DigestOf(a) is not { } x || ImageReferenceSyntax.DigestOf(b) is not { } y || x == y);

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
