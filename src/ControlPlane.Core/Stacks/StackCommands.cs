using System.Text.RegularExpressions;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Secrets;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Stacks;

/// <summary>A Compose file to deploy as a stack: its name, the YAML text, values for its <c>${VAR}</c>s, and whether to prune services it no longer names.</summary>
public sealed record StackRequest(string? Name, string? Compose, IReadOnlyDictionary<string, string>? Variables = null, bool Prune = false);

/// <summary>A stack of the cluster at a glance, with who last deployed it through ControlPlane (null for a stack made elsewhere).</summary>
public sealed record StackListing(
    string Name,
    int Services,
    int ServicesConverged,
    long TasksRunning,
    long TasksDesired,
    string Health,
    int Networks,
    int Secrets,
    int Configs,
    string? DeployedBy,
    DateTimeOffset? DeployedAt,
    bool HasCompose);

/// <summary>
/// Stacks from Compose files (DESIGN §9), with the semantics of <c>docker stack deploy</c> and <c>docker stack rm</c>:
/// preview, deploy (an operation: networks, then services, then the prune), remove (an operation: services, networks,
/// then the stack's own secrets and configs), list, and the Compose history. The file is converted first, without the
/// cluster; the gate then checks <see cref="Permissions.Stacks.Deploy"/> on the stack and on every scope the file
/// reaches into (external secrets, configs, families, networks, as ControlPlane's picture places them), and the
/// restricted rule, before any problem of the file is told; nothing is created while anything is wrong.
/// </summary>
public sealed partial class StackCommands(ClusterStateStore store, OperationRunner runner, ChangeGate gate, IStackChanges engine, IStackHistory history, TimeProvider time)
    : IOperationResumer
{
    public const string DeployKind = "stack-deploy";
    public const string RemoveKind = "stack-remove";

    /// <summary>How many service creates and updates a deploy has in flight at once.</summary>
    public const int ServiceWrites = 4;

    /// <summary>How long a removal waits for a network or secret its stopping tasks still hold.</summary>
    public static TimeSpan ReleaseTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>What a deploy of <paramref name="request"/> would change, without changing anything. Needs the deploy's permissions.</summary>
    public async Task<ChangeResult<StackPreview>> PreviewAsync(ChangeCaller caller, string clusterId, StackRequest request, CancellationToken ct = default)
    {
        var (name, conversion) = Convert(request);
        var intent = DeployIntent(clusterId, name, conversion.Plan) with { Action = "stacks.preview" };
        if (await gate.RefuseAsync(caller, intent) is { } refused)
        {
            return ChangeResult<StackPreview>.Refused(refused.Failure!.Value, refused.Message);
        }
        try
        {
            var plan = Require(clusterId, conversion);
            var work = await StackWork.PlanAsync(engine, clusterId, plan, request.Prune, ct);
            var preview = work.Preview();
            return new ChangeResult<StackPreview>(null, $"{preview.Changes.Count(c => c.Action != StackActions.Unchanged)} change(s).", preview);
        }
        catch (ChangeRejectedException rejected)
        {
            return ChangeResult<StackPreview>.Refused(rejected.Reason, rejected.Message) with { Problems = rejected.Problems };
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ChangeResult<StackPreview>.Refused(ChangeFailure.Failed, $"The cluster could not be read: {ex.Message}");
        }
    }

    /// <summary>Deploys a Compose file as a stack (an operation); the file and variables join the stack's history.</summary>
    public Task<ChangeResult> DeployAsync(ChangeCaller caller, string clusterId, StackRequest request, CancellationToken ct = default)
    {
        var (name, conversion) = Convert(request);
        var variables = request.Variables ?? new Dictionary<string, string>();
        return runner.StartAsync(caller, DeployIntent(clusterId, name, conversion.Plan), async token =>
        {
            var plan = Require(clusterId, conversion);
            var work = await StackWork.PlanAsync(engine, clusterId, plan, request.Prune, token);
            return DeployPlan(clusterId, caller.Actor, work, request.Compose!, variables, request.Prune);
        }, ct);
    }

    /// <summary>Deploys an earlier file of the stack's history again, with its variables: a rollback to that deploy.</summary>
    public async Task<ChangeResult> RedeployAsync(ChangeCaller caller, string clusterId, string stack, long deploymentId, bool? prune = null, CancellationToken ct = default)
    {
        var earlier = await history.FindAsync(clusterId, deploymentId, ct);
        if (earlier is null || earlier.Stack != stack)
        {
            // Said only to whoever may deploy the stack: the history of a stack is not for everyone to probe.
            var intent = DeployIntent(clusterId, stack, null);
            return await gate.RefuseAsync(caller, intent) ?? ChangeResult.Refused(ChangeFailure.NotFound, $"Stack '{stack}' has no deploy {deploymentId} in its history.");
        }
        return await DeployAsync(caller, clusterId, new StackRequest(stack, earlier.Compose, earlier.Variables, prune ?? earlier.Prune), ct);
    }

    /// <summary>
    /// Removes a stack (an operation), as <c>docker stack rm</c>: its services, then its networks, then the secrets
    /// and configs labelled with it, keeping a family another stack shares. A stack made elsewhere can be removed too.
    /// </summary>
    public Task<ChangeResult> RemoveAsync(ChangeCaller caller, string clusterId, string stack, CancellationToken ct = default)
    {
        var intent = new ChangeIntent(Permissions.Stacks.Remove, AccessTarget.InCluster(clusterId, stack), "stacks.remove", Subject(stack));
        return runner.StartAsync(caller, intent, async token =>
        {
            var found = await engine.ReadStackAsync(clusterId, stack, token);
            if (found.IsEmpty)
            {
                throw new ChangeRejectedException(ChangeFailure.NotFound, $"Nothing found in stack '{stack}' of cluster '{clusterId}'.");
            }
            return RemovePlan(clusterId, stack, found);
        }, ct);
    }

    /// <summary>The stacks the caller may see, with their health and their last deploy through ControlPlane.</summary>
    public async Task<ChangeResult<IReadOnlyList<StackListing>>> ListAsync(ChangeCaller caller, string clusterId, CancellationToken ct = default)
    {
        var visibility = ClusterVisibility.For(caller.Grants, clusterId);
        if (!visibility.SeesAnything)
        {
            var refused = await gate.RefuseAsync(caller, ReadIntent(clusterId, null, "stacks.list"));
            return ChangeResult<IReadOnlyList<StackListing>>.Refused(refused?.Failure ?? ChangeFailure.Forbidden, refused?.Message ?? ChangeGate.NoGrant);
        }
        var state = store.GetState(clusterId);
        if (state is null)
        {
            return ChangeResult<IReadOnlyList<StackListing>>.Refused(ChangeFailure.NotFound, ChangeRejections.NoCluster(clusterId).Message);
        }
        var deployed = (await history.LatestAsync(clusterId, ct)).ToDictionary(d => d.Stack, StringComparer.Ordinal);
        var summaries = StackSummary.Of(state, time.GetUtcNow()).Where(s => s.Name is not null).ToDictionary(s => s.Name!, StringComparer.Ordinal);
        static string? StackOf(Model.Labels labels) => labels.GetValueOrDefault(ClusterVisibility.StackLabel);
        var networks = state.Networks.Select(n => StackOf(n.Labels)).OfType<string>().ToList();
        var secrets = state.Secrets.Select(n => StackOf(n.Labels)).OfType<string>().ToList();
        var configs = state.Configs.Select(n => StackOf(n.Labels)).OfType<string>().ToList();
        var listings = summaries.Keys.Concat(networks).Concat(secrets).Concat(configs)
            .Distinct(StringComparer.Ordinal)
            .Where(name => visibility.SeesEverything || visibility.Stacks.Contains(name))
            .Order(StringComparer.Ordinal)
            .Select(name =>
            {
                var summary = summaries.GetValueOrDefault(name);
                var last = deployed.GetValueOrDefault(name);
                return new StackListing(name, summary?.Services.Count ?? 0, summary?.ServicesConverged ?? 0, summary?.TasksRunning ?? 0, summary?.TasksDesired ?? 0,
                    (summary?.Health ?? StackHealth.Healthy).ToString().ToLowerInvariant(),
                    networks.Count(n => n == name), secrets.Count(n => n == name), configs.Count(n => n == name),
                    last?.DeployedBy, last?.DeployedAt, last is not null);
            })
            .ToList();
        return new ChangeResult<IReadOnlyList<StackListing>>(null, $"{listings.Count} stack(s).", listings);
    }

    /// <summary>The last file and variables deployed as the stack through ControlPlane; not found for a stack made elsewhere.</summary>
    public async Task<ChangeResult<StackDeployment>> ComposeAsync(ChangeCaller caller, string clusterId, string stack, CancellationToken ct = default)
    {
        if (await gate.RefuseAsync(caller, ReadIntent(clusterId, stack, "stacks.compose")) is { } refused)
        {
            return ChangeResult<StackDeployment>.Refused(refused.Failure!.Value, refused.Message);
        }
        var last = (await history.ListAsync(clusterId, stack, 1000, ct)).FirstOrDefault(d => d.Result == StackDeployResults.Succeeded);
        return last is null
            ? ChangeResult<StackDeployment>.Refused(ChangeFailure.NotFound, $"Stack '{stack}' has no Compose file deployed through ControlPlane.")
            : new ChangeResult<StackDeployment>(null, $"Deployed by {last.DeployedBy}.", ForReader(caller, last));
    }

    /// <summary>The stack's deploys through ControlPlane, newest first, each with its file, variables and result.</summary>
    public async Task<ChangeResult<IReadOnlyList<StackDeployment>>> HistoryAsync(ChangeCaller caller, string clusterId, string stack, CancellationToken ct = default)
    {
        if (await gate.RefuseAsync(caller, ReadIntent(clusterId, stack, "stacks.history")) is { } refused)
        {
            return ChangeResult<IReadOnlyList<StackDeployment>>.Refused(refused.Failure!.Value, refused.Message);
        }
        var deploys = await history.ListAsync(clusterId, stack, 100, ct);
        return new ChangeResult<IReadOnlyList<StackDeployment>>(null, $"{deploys.Count} deploy(s).", deploys.Select(d => ForReader(caller, d)).ToList());
    }

    /// <summary>
    /// A deploy as this reader may see it: whoever may read the stack sees its file, but the variables' values only
    /// whoever may deploy it (a value may be a password, and a redeploy needs none of them).
    /// </summary>
    private static StackDeployment ForReader(ChangeCaller caller, StackDeployment deploy) =>
        AccessPolicy.IsAllowed(caller.Grants, Permissions.Stacks.Deploy, AccessTarget.InCluster(deploy.ClusterId, deploy.Stack))
            ? deploy
            : deploy.WithoutVariableValues();

    /// <summary>
    /// The deploy's gate: the permission on the stack, on every scope its references reach into, and the unrestricted
    /// permission for each host use the file asks for (named with its key and line).
    /// </summary>
    private ChangeIntent DeployIntent(string clusterId, string stack, StackPlan? plan)
    {
        var target = AccessTarget.InCluster(clusterId, stack);
        var intent = new ChangeIntent(Permissions.Stacks.Deploy, target, "stacks.deploy", Subject(stack));
        if (plan is null)
        {
            return intent;
        }
        // The converter's restricted uses are the rule's own (RestrictedRule.Find on each spec) with their lines, plus devices.
        var uses = plan.Services.SelectMany(service =>
            service.Restricted.Select(p => (Service: service.Name, Use: new RestrictedUse($"{p.Key}, line {p.Line}", p.Message))));
        return intent with
        {
            AlsoOn = StackReferences.ScopesOf(store.GetState(clusterId), clusterId, plan).Where(s => s != target).ToList(),
            AlsoNeeds = uses.Select(u => RestrictedRule.Needs(clusterId, $"service {u.Service}", [u.Use])).SelectMany(n => n).Take(1).ToList(),
        };
    }

    private static ChangeIntent ReadIntent(string clusterId, string? stack, string action) =>
        new(Permissions.Clusters.Read, AccessTarget.InCluster(clusterId, stack), action, stack is null ? "" : Subject(stack));

    private static string Subject(string stack) => $"stack {stack}";

    /// <summary>The file converted, with the stack's name checked as Docker checks the names it makes from it.</summary>
    private static (string Name, ComposeConversion Conversion) Convert(StackRequest request)
    {
        var name = request.Name?.Trim() ?? "";
        var problems = new List<InputProblem>();
        if (!StackName().IsMatch(name))
        {
            problems.Add(new InputProblem(0, 0, "name", $"'{name}' is not a stack name: use letters, digits, '_', '.' and '-', starting with a letter or digit (at most 50 characters)."));
        }
        if (string.IsNullOrWhiteSpace(request.Compose))
        {
            problems.Add(new InputProblem(0, 0, "compose", "The Compose file is empty."));
        }
        if (problems.Count > 0)
        {
            return (name, new ComposeConversion(null, problems));
        }
        var conversion = ComposeConverter.Convert(name, request.Compose!, request.Variables ?? new Dictionary<string, string>());
        return (name, conversion.Plan is not null && conversion.Problems.Count > 0 ? conversion with { Plan = null } : conversion);
    }

    private ChangeRejectedException? Problems(ComposeConversion conversion) =>
        conversion.Plan is null || conversion.Problems.Count > 0
            ? new ChangeRejectedException(ChangeFailure.Invalid, StackWork.Describe(conversion.Problems.Count > 0 ? conversion.Problems : [new InputProblem(0, 0, "compose", "The file could not be read.")]),
                conversion.Problems)
            : null;

    private StackPlan Require(string clusterId, ComposeConversion conversion)
    {
        if (Problems(conversion) is { } invalid)
        {
            throw invalid;
        }
        if (store.GetState(clusterId) is null)
        {
            throw ChangeRejections.NoCluster(clusterId);
        }
        return conversion.Plan!;
    }

    public bool Resumes(string kind) => kind == DeployKind;

    /// <summary>
    /// Carries on a deploy another replica started and stopped (DESIGN §8). Its file and variables are in the stack's
    /// history under the operation; the deploy is planned again against the cluster as it is now and its steps done:
    /// what the stopped replica created or updated is unchanged by now, so only the rest is written (a deploy, like
    /// <c>docker stack deploy</c>, converges, and doing it again is safe).
    /// </summary>
    public OperationResumption Resume(Operation operation)
    {
        var clusterId = operation.ClusterId;
        var stack = operation.Target;
        var services = operation.ParametersAs<DeployParameters>()?.Services ?? [];
        return new OperationResumption(DeployIntent(clusterId, stack, null), new OperationPlan(DeployKind, operation.Progress.Total, async ctx =>
        {
            var record = (await history.ListAsync(clusterId, stack, cancellationToken: ctx.Cancellation)).FirstOrDefault(d => d.OperationId == operation.Id)
                ?? throw new OperationFailedException($"The replica running this deploy stopped before it kept the file in the stack's history: deploy {stack} again.");
            await DeployRecordedAsync(ctx, clusterId, record.Id, async () =>
            {
                var (_, conversion) = Convert(new StackRequest(stack, record.Compose, record.Variables, record.Prune));
                return await StackWork.PlanAsync(engine, clusterId, Require(clusterId, conversion), record.Prune, ctx.Cancellation);
            });
        })
        {
            Target = stack,
            Locks = services.Select(name => new OperationLock(ChangeLocks.ServiceKey(clusterId, stack, name), name)).ToList(),
        });
    }

    /// <summary>What a carrying-on replica reads back from a deploy's parameters: the services it locks.</summary>
    private sealed record DeployParameters(IReadOnlyList<string>? Services);

    private OperationPlan DeployPlan(string clusterId, string actor, StackWork work, string compose, IReadOnlyDictionary<string, string> variables, bool prune)
    {
        var stack = work.Stack;
        var steps = new List<OperationStep>();
        steps.AddRange(work.Networks.Select(n => Step($"network {n.Name}", n.Action == StackActions.Create ? OperationStates.Pending : OperationStates.Skipped, n.Action)));
        steps.AddRange(work.Services.Select(s => Step($"service {s.Name}", s.Action == StackActions.Unchanged ? OperationStates.Skipped : OperationStates.Pending, s.Action)));
        steps.AddRange(work.Pruned.Select(s => Step($"service {s.Name}", OperationStates.Pending, StackActions.Remove)));
        var total = work.Networks.Count + work.Services.Count + work.Pruned.Count;
        return new OperationPlan(DeployKind, total, async ctx =>
        {
            var record = await history.AddAsync(new StackDeployment(0, clusterId, stack, compose, variables, prune, actor, time.GetUtcNow(), ctx.Current.Id, StackDeployResults.Running), CancellationToken.None);
            await DeployRecordedAsync(ctx, clusterId, record.Id, () => Task.FromResult(work));
        })
        {
            Target = stack,
            Steps = steps,
            Locks = work.Services.Select(s => s.Name).Concat(work.Pruned.Select(s => s.Name))
                .Select(name => new OperationLock(ChangeLocks.ServiceKey(clusterId, stack, name), name)).ToList(),
            // Variable names only: a value may be a password.
            Parameters = new { stack, prune, services = work.Services.Select(s => s.Name), variables = variables.Keys.Order(StringComparer.Ordinal), warnings = work.Warnings },
        };
    }

    /// <summary>Does the deploy's steps (the work planned by <paramref name="plan"/>) and records how it ended in the stack's history.</summary>
    private async Task DeployRecordedAsync(OperationContext ctx, string clusterId, long recordId, Func<Task<StackWork>> plan)
    {
        try
        {
            await DeployStepsAsync(ctx, clusterId, await plan());
        }
        catch
        {
            await history.SetResultAsync(recordId, StackDeployResults.Failed, CancellationToken.None);
            throw;
        }
        await history.SetResultAsync(recordId, StackDeployResults.Succeeded, CancellationToken.None);
    }

    private async Task DeployStepsAsync(OperationContext ctx, string clusterId, StackWork work)
    {
        var ct = ctx.Cancellation;
        var done = 0;
        var networkIds = new Dictionary<string, string>(work.NetworkIds, StringComparer.Ordinal);
        foreach (var network in work.Networks)
        {
            if (network.Action == StackActions.Create)
            {
                await ctx.StepAsync($"network {network.Name}", OperationStates.Running, "creating");
                networkIds[network.Name] = await engine.CreateNetworkAsync(clusterId, network.Create, ct);
                await ctx.StepAsync($"network {network.Name}", OperationStates.Succeeded, "created");
            }
            await ctx.ProgressAsync(++done);
        }
        // Services are written a few at a time, as many independent calls: the engine schedules each on its own.
        using var few = new SemaphoreSlim(ServiceWrites);
        await Task.WhenAll(work.Services.Select(async service =>
        {
            await few.WaitAsync(ct);
            try
            {
                if (service.Action != StackActions.Unchanged)
                {
                    StackReferences.Apply(service.Spec, ResolvedReferences.None, networkIds);
                    if (service.Current is null)
                    {
                        await engine.CreateServiceAsync(clusterId, service.Spec, ct);
                    }
                    else
                    {
                        await UpdateAsync(clusterId, service, ct);
                    }
                }
                // The step and the progress in one record write.
                var finished = Interlocked.Increment(ref done);
                await ctx.UpdateAsync(operation => operation.WithStep(Step($"service {service.Name}",
                        service.Action == StackActions.Unchanged ? OperationStates.Skipped : OperationStates.Succeeded,
                        service.Action switch { StackActions.Create => "created", StackActions.Update => "updated", _ => StackActions.Unchanged }))
                    with { Progress = new OperationProgress(Math.Max(finished, operation.Progress.Done), operation.Progress.Total) });
            }
            finally
            {
                few.Release();
            }
        }));
        foreach (var pruned in work.Pruned)
        {
            await ctx.StepAsync($"service {pruned.Name}", OperationStates.Running, "removing");
            await engine.RemoveServiceAsync(clusterId, pruned.Id, ct);
            await ctx.StepAsync($"service {pruned.Name}", OperationStates.Succeeded, "removed");
            await ctx.ProgressAsync(++done);
        }
    }

    /// <summary>Writes the spec at the version read; when it moved meanwhile, reads it again and writes again, a bounded number of times.</summary>
    private async Task UpdateAsync(string clusterId, ServiceWork service, CancellationToken ct)
    {
        var current = service.Current!;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await engine.UpdateServiceAsync(clusterId, current.Id, current.Version, service.Spec, ct);
                return;
            }
            catch (ChangeRejectedException conflict) when (conflict.Reason == ChangeFailure.Conflict && attempt < 5)
            {
                current = await engine.InspectServiceAsync(clusterId, current.Id, ct)
                    ?? throw new ChangeRejectedException(ChangeFailure.Conflict, $"Service {service.Name} was removed while the stack was deployed.");
                StackWork.KeepForceUpdate(service.Spec, current.Spec);
            }
        }
    }

    private OperationPlan RemovePlan(string clusterId, string stack, EngineStack found)
    {
        var state = store.GetState(clusterId);
        var files = found.Secrets.Select(s => (Kind: FileObjectKind.Secret, Object: s)).Concat(found.Configs.Select(c => (Kind: FileObjectKind.Config, Object: c)))
            .Select(f => (f.Kind, f.Object, SharedWith: SharedWith(state, stack, f.Kind, f.Object)))
            .ToList();
        var steps = new List<OperationStep>();
        steps.AddRange(found.Services.Select(s => Step($"service {s.Name}", OperationStates.Pending, StackActions.Remove)));
        steps.AddRange(found.Networks.Select(n => Step($"network {n.Name}", OperationStates.Pending, StackActions.Remove)));
        steps.AddRange(files.Select(f => f.SharedWith is null
            ? Step($"{Noun(f.Kind)} {f.Object.Name}", OperationStates.Pending, StackActions.Remove)
            : Step($"{Noun(f.Kind)} {f.Object.Name}", OperationStates.Skipped, $"kept: its family is shared with {f.SharedWith}")));
        return new OperationPlan(RemoveKind, steps.Count, async ctx =>
        {
            var ct = ctx.Cancellation;
            var done = 0;
            foreach (var service in found.Services)
            {
                await RemoveStepAsync(ctx, $"service {service.Name}", () => engine.RemoveServiceAsync(clusterId, service.Id, ct));
                await ctx.ProgressAsync(++done);
            }
            foreach (var network in found.Networks)
            {
                await RemoveStepAsync(ctx, $"network {network.Name}", () => engine.RemoveNetworkAsync(clusterId, network.Id, ct));
                await ctx.ProgressAsync(++done);
            }
            foreach (var (kind, file, shared) in files)
            {
                if (shared is null)
                {
                    await RemoveStepAsync(ctx, $"{Noun(kind)} {file.Name}", () => engine.RemoveFileObjectAsync(clusterId, kind, file.Id, ct));
                }
                await ctx.ProgressAsync(++done);
            }
        })
        {
            Target = stack,
            Steps = steps,
            Locks = found.Services.Select(s => new OperationLock(ChangeLocks.ServiceKey(clusterId, stack, s.Name), s.Name)).ToList(),
            Parameters = new { stack, services = found.Services.Select(s => s.Name), networks = found.Networks.Select(n => n.Name) },
        };
    }

    /// <summary>One removal; what stopping tasks still hold (a network, a secret) is tried again until it is let go.</summary>
    private async Task RemoveStepAsync(OperationContext ctx, string step, Func<Task> remove)
    {
        await ctx.StepAsync(step, OperationStates.Running, "removing");
        var deadline = time.GetUtcNow() + ReleaseTimeout;
        while (true)
        {
            try
            {
                await remove();
                break;
            }
            catch (ChangeRejectedException inUse) when (inUse.Reason == ChangeFailure.Conflict && time.GetUtcNow() < deadline)
            {
                await ctx.StepAsync(step, OperationStates.Running, $"waiting: {inUse.Message}");
                await Task.Delay(TimeSpan.FromMilliseconds(500), time, ctx.Cancellation);
            }
        }
        await ctx.StepAsync(step, OperationStates.Succeeded, "removed");
    }

    /// <summary>The other stacks (or "services outside the stack") a family of this stack's secret or config is shared with; null when it is the stack's alone.</summary>
    private static string? SharedWith(ClusterState? state, string stack, FileObjectKind kind, EngineObject file)
    {
        if (state is null)
        {
            return null;
        }
        var family = FileFamilies.Find(state, kind, file.Labels.GetValueOrDefault(FileObjectList.FamilyLabel) ?? file.Name);
        if (family is null)
        {
            return null;
        }
        var others = family.Versions.Select(v => v.Labels.GetValueOrDefault(ClusterVisibility.StackLabel))
            .Concat(family.Users.Select(s => s.Stack ?? "services outside any stack"))
            .OfType<string>()
            .Where(s => s != stack)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        return others.Count == 0 ? null : string.Join(", ", others);
    }

    private static string Noun(FileObjectKind kind) => kind == FileObjectKind.Secret ? "secret" : "config";

    private OperationStep Step(string name, string state, string? message) => new(name, state, message, time.GetUtcNow());

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,49}$")]
    private static partial Regex StackName();
}
