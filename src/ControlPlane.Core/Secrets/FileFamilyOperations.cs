using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;

namespace ControlPlane.Core.Secrets;

/// <summary>How long a service may take to converge on a new spec before ControlPlane gives up on it.</summary>
public sealed record FileFamilyTimings(TimeSpan Convergence)
{
    public static readonly FileFamilyTimings Default = new(TimeSpan.FromMinutes(3));
}

/// <summary>
/// The long changes of secret and config families (DESIGN §4) as operation plans: rotate a family across its
/// services, inject a family into a service, detach it. The input has been checked by the caller; these plans
/// do the engine work step by step, and put things back when a service does not converge.
/// </summary>
public sealed class FileFamilyOperations(IFileObjectChanges engine, TimeProvider time, FileFamilyTimings timings)
{
    public const string InjectKind = "secret-inject";
    public const string DetachKind = "secret-detach";

    /// <summary>
    /// Creates version N+1, swaps every service onto it one at a time (waiting for each to converge), and
    /// removes version N after <paramref name="grace"/>. When a service does not converge, every service
    /// touched so far goes back to the version it had, N+1 is removed, N is kept, and the operation ends
    /// rolled back naming the service and why.
    /// </summary>
    public OperationPlan Rotate(string clusterId, Family family, IReadOnlyList<ClusterService> services, byte[] value, string actor, TimeSpan grace)
    {
        var next = family.Newest.Version + 1;
        var labels = SecretFamily.Labels(family.Name, next, actor);
        // The schedule travels with the family: the newest version carries it.
        foreach (var (key, label) in family.Policy?.ToLabels() ?? [])
        {
            labels[key] = label;
        }
        var nextName = SecretFamily.VersionName(family.Name, next);
        return RotationPlan(clusterId, family, family.Newest, next, services, grace,
            ct => engine.CreateAsync(clusterId, family.Kind, nextName, labels, value, ct), resumed: false);
    }

    /// <summary>
    /// Carries on a rotation another replica started and stopped (DESIGN §8), from what the cluster shows: version
    /// <paramref name="next"/> is never created again (its value was never stored), so when it does not exist the
    /// rotation ends failed with nothing changed; when it does, every service of the rotation is moved onto it again
    /// (a service already on it stays as it is), then version <paramref name="from"/> is removed. Doing a step twice
    /// is safe: the swap maps any version of the family to the new one.
    /// </summary>
    public OperationPlan Resume(string clusterId, Family family, int from, int next, IReadOnlyList<ClusterService> services, TimeSpan grace)
    {
        var old = family.Versions.FirstOrDefault(v => v.Version == from)
            // Removed already: the rotation had reached its last step; removing it again is skipped.
            ?? new FamilyVersion("", SecretFamily.VersionName(family.Name, from), from, Labels.Empty, DateTimeOffset.MinValue, []);
        var nextName = SecretFamily.VersionName(family.Name, next);
        var created = family.Versions.FirstOrDefault(v => v.Version == next);
        return RotationPlan(clusterId, family, old, next, services, grace, _ => created is null
            ? throw new OperationFailedException($"The replica running this rotation stopped before {nextName} was created; no service was changed, {old.Name} stays.")
            : Task.FromResult(new FileObjectVersion(created.Id, created.Name, created.Labels, created.CreatedAt)), resumed: true);
    }

    private OperationPlan RotationPlan(string clusterId, Family family, FamilyVersion old, int next, IReadOnlyList<ClusterService> services, TimeSpan grace,
        Func<CancellationToken, Task<FileObjectVersion>> obtainNext, bool resumed)
    {
        var kind = family.Kind;
        var nextName = SecretFamily.VersionName(family.Name, next);
        var createStep = $"create {nextName}";
        var removeStep = $"remove {old.Name}";
        var pending = new List<OperationStep> { Step(createStep, OperationStates.Pending, null) };
        pending.AddRange(services.Select(s => Step(s.Name, OperationStates.Pending, $"uses {Describe(family, s)}")));
        pending.Add(Step(removeStep, OperationStates.Pending, grace > TimeSpan.Zero ? $"after a grace period of {grace.TotalSeconds:0} s" : null));

        return new OperationPlan(FileObjectKinds.Of(kind).RotationOperation, services.Count + 2, async ctx =>
        {
            var ct = ctx.Cancellation;
            await ctx.StepAsync(createStep, OperationStates.Running, resumed ? "looking for it after the replica running the rotation stopped" : null);
            var created = await obtainNext(ct);
            await ctx.StepAsync(createStep, OperationStates.Succeeded, $"version {next} created");
            await ctx.ProgressAsync(1);

            var touched = new List<(ClusterService Service, IReadOnlyList<FileReference> Before)>();
            // The update policies rotation replaced to start new tasks first, given back once the services are settled.
            var policies = new Dictionary<string, string>();
            var done = 1;
            try
            {
                foreach (var service in services)
                {
                    Convergence result;
                    try
                    {
                        ct.ThrowIfCancellationRequested();
                        await ctx.StepAsync(service.Name, OperationStates.Running, $"moving to {nextName}");
                        IReadOnlyList<FileReference> before = [];
                        var update = await engine.UpdateReferencesAsync(clusterId, service.Id, kind, current =>
                        {
                            // What a rollback puts back; a service a stopped replica had moved already goes back to the old version.
                            before = current.Select(r => r.Id == created.Id ? r with { Id = old.Id, Name = old.Name } : r).ToList();
                            return current.Select(r => family.Contains(r.Id) ? r with { Id = created.Id, Name = created.Name } : r).ToList();
                        }, rotation: true, ct);
                        touched.Add((service, before));
                        if (update.ReplacedUpdatePolicy is { } policy)
                        {
                            policies.TryAdd(service.Id, policy);
                        }
                        result = await ConvergeAsync(ctx, clusterId, service, update, p => $"{p.Running} of {p.Desired} tasks on {nextName}", ct);
                    }
                    catch (OperationCanceledException) when (ct.IsCancellationRequested && !ctx.HandedOver)
                    {
                        await ctx.StepAsync(service.Name, OperationStates.Cancelled, "cancelled; putting services back");
                        await RollBackAsync(ctx, clusterId, kind, touched, old.Name);
                        await RemoveQuietlyAsync(clusterId, kind, created.Id);
                        throw;
                    }
                    catch (ChangeRejectedException rejected)
                    {
                        result = Convergence.Failed(rejected.Message, 0, 0);
                    }
                    if (!result.Converged)
                    {
                        await ctx.StepAsync(service.Name, OperationStates.Failed, result.Failure);
                        var back = await RollBackAsync(ctx, clusterId, kind, touched, old.Name, (service.Name, result.Failure));
                        await RemoveQuietlyAsync(clusterId, kind, created.Id);
                        await ctx.StepAsync(createStep, OperationStates.RolledBack, $"{nextName} removed again");
                        await ctx.StepAsync(removeStep, OperationStates.Skipped, $"{old.Name} kept");
                        throw new OperationFailedException(
                            $"Rotation of {family.Name} failed on service {service.Name}: {result.Failure} " +
                            (back.Count == 0 ? $"Every touched service is back on {old.Name}, which is kept." : $"Could not put back: {string.Join("; ", back)}."),
                            rolledBack: back.Count == 0);
                    }
                    await ctx.StepAsync(service.Name, OperationStates.Succeeded, $"running {nextName} ({result.Running} of {result.Desired} tasks)");
                    await ctx.ProgressAsync(++done);
                }
            }
            finally
            {
                // A replica handing the rotation over leaves the services as they are: the adopting one settles them.
                if (!ctx.HandedOver)
                {
                    await RestorePoliciesAsync(clusterId, policies);
                }
            }

            if (grace > TimeSpan.Zero)
            {
                await ctx.StepAsync(removeStep, OperationStates.Running, $"grace period: {old.Name} stays {grace.TotalSeconds:0} s");
                await Task.Delay(grace, time, ct);
            }
            await ctx.StepAsync(removeStep, OperationStates.Running);
            if (old.Id.Length == 0)
            {
                await ctx.StepAsync(removeStep, OperationStates.Succeeded, $"{old.Name} was removed already");
            }
            else
            {
                try
                {
                    await engine.RemoveAsync(clusterId, kind, old.Id, ct);
                    await ctx.StepAsync(removeStep, OperationStates.Succeeded, $"{old.Name} removed");
                }
                catch (ChangeRejectedException kept)
                {
                    // Someone attached the old version while we rotated: keep it, and say so.
                    await ctx.StepAsync(removeStep, OperationStates.Skipped, kept.Message);
                }
            }
            await ctx.ProgressAsync(++done);
        })
        {
            Target = family.Name,
            Steps = pending,
            // No other change may move these services while their references are swapped and perhaps put back.
            Locks = services.Select(s => OperationLock.OfService(clusterId, s)).ToList(),
            Parameters = new { family = family.Name, kind = kind.ToString().ToLowerInvariant(), from = old.Version, to = next, services = services.Select(s => s.Name), graceSeconds = grace.TotalSeconds },
        };
    }

    /// <summary>Mounts the family's newest version into a service (a rolling update); taken out again when it does not converge.</summary>
    public OperationPlan Inject(string clusterId, Family family, ClusterService service, FileReference mount)
    {
        var version = family.Newest;
        var reference = mount with { Id = version.Id, Name = version.Name };
        return ReferencePlan(clusterId, family.Kind, InjectKind, service, $"mounting {version.Name} at {FileTargets.PathOf(mount.Target, family.Kind)}",
            current => [.. current, reference],
            new { family = family.Name, kind = family.Kind.ToString().ToLowerInvariant(), service = service.Name, version = version.Version, target = mount.Target, uid = mount.Uid, gid = mount.Gid, mode = FileTargets.FormatMode(mount.Mode) });
    }

    /// <summary>Removes every mount of the family from a service (a rolling update); put back when it does not converge.</summary>
    public OperationPlan Detach(string clusterId, Family family, ClusterService service) =>
        ReferencePlan(clusterId, family.Kind, DetachKind, service, $"unmounting {family.Name}",
            current => current.Where(r => !family.Contains(r.Id)).ToList(),
            new { family = family.Name, kind = family.Kind.ToString().ToLowerInvariant(), service = service.Name });

    private OperationPlan ReferencePlan(string clusterId, FileObjectKind kind, string operationKind, ClusterService service, string doing,
        Func<IReadOnlyList<FileReference>, IReadOnlyList<FileReference>> edit, object parameters) =>
        new(operationKind, 1, async ctx =>
        {
            var ct = ctx.Cancellation;
            await ctx.StepAsync(service.Name, OperationStates.Running, doing);
            IReadOnlyList<FileReference> before = [];
            var update = await engine.UpdateReferencesAsync(clusterId, service.Id, kind, current =>
            {
                before = current;
                return edit(current);
            }, rotation: false, ct);
            var result = await ConvergeAsync(ctx, clusterId, service, update, p => $"{doing}: {p.Running} of {p.Desired} tasks updated", ct);
            if (!result.Converged)
            {
                await ctx.StepAsync(service.Name, OperationStates.Failed, result.Failure);
                var putBack = await engine.UpdateReferencesAsync(clusterId, service.Id, kind, _ => before, rotation: false, CancellationToken.None);
                var back = await engine.WaitForConvergenceAsync(clusterId, service.Id, putBack.StartedAt, timings.Convergence, null, CancellationToken.None);
                throw new OperationFailedException($"{service.Name} did not converge: {result.Failure} " +
                    (back.Converged ? "Its previous mounts are back." : $"Putting its previous mounts back failed too: {back.Failure}"), rolledBack: back.Converged);
            }
            await ctx.StepAsync(service.Name, OperationStates.Succeeded, $"{result.Running} of {result.Desired} tasks updated");
            await ctx.ProgressAsync(1);
        })
        {
            Target = service.Name,
            Steps = [Step(service.Name, OperationStates.Pending, doing)],
            Parameters = parameters,
        };

    /// <summary>Puts touched services back on the references they had, last touched first; answers what could not be put back.</summary>
    private async Task<List<string>> RollBackAsync(OperationContext ctx, string clusterId, FileObjectKind kind, List<(ClusterService Service, IReadOnlyList<FileReference> Before)> touched, string oldName, (string Service, string? Why)? failed = null)
    {
        var problems = new List<string>();
        for (var i = touched.Count - 1; i >= 0; i--)
        {
            var (service, before) = touched[i];
            try
            {
                // Never cancelled: a half-done rollback is the worst place to stop.
                var update = await engine.UpdateReferencesAsync(clusterId, service.Id, kind, _ => before, rotation: true, CancellationToken.None);
                var back = await ConvergeAsync(ctx, clusterId, service, update, p => $"rolling back: {p.Running} of {p.Desired} tasks on {oldName}", CancellationToken.None);
                if (back.Converged)
                {
                    // The service that failed stays "failed" (with why), the others say they were put back.
                    await ctx.StepAsync(service.Name, service.Name == failed?.Service ? OperationStates.Failed : OperationStates.RolledBack,
                        service.Name == failed?.Service ? $"{failed.Value.Why} — back on {oldName}" : $"back on {oldName}");
                }
                else
                {
                    problems.Add($"{service.Name}: {back.Failure}");
                }
            }
            catch (ChangeRejectedException ex)
            {
                problems.Add($"{service.Name}: {ex.Message}");
            }
        }
        return problems;
    }

    /// <summary>Waits for a service to converge on an update, showing its tasks on the service's step as they move.</summary>
    private Task<Convergence> ConvergeAsync(OperationContext ctx, string clusterId, ClusterService service, ServiceUpdate update, Func<ConvergenceProgress, string> message, CancellationToken ct) =>
        engine.WaitForConvergenceAsync(clusterId, service.Id, update.StartedAt, timings.Convergence,
            p => ctx.StepAsync(service.Name, OperationStates.Running, message(p), new OperationProgress(p.Running, p.Desired)), ct);

    /// <summary>Gives each service back its own update policy; a service that cannot take it keeps start-first, which harms nothing.</summary>
    private async Task RestorePoliciesAsync(string clusterId, Dictionary<string, string> policies)
    {
        foreach (var (serviceId, policy) in policies)
        {
            try
            {
                await engine.RestoreUpdatePolicyAsync(clusterId, serviceId, policy, CancellationToken.None);
            }
            catch (ChangeRejectedException)
            {
                // The service is gone or the engine refused: its policy is the last thing that matters then.
            }
        }
    }

    private async Task RemoveQuietlyAsync(string clusterId, FileObjectKind kind, string id)
    {
        try
        {
            await engine.RemoveAsync(clusterId, kind, id, CancellationToken.None);
        }
        catch (ChangeRejectedException)
        {
            // Still referenced by a service we could not put back: leaving it is the safe choice.
        }
    }

    private static string Describe(Family family, ClusterService service) =>
        string.Join(", ", family.Versions.Where(v => v.UsedBy.Any(u => u.Service.Id == service.Id)).Select(v => v.Name));

    private OperationStep Step(string name, string state, string? message) => new(name, state, message, time.GetUtcNow());
}
