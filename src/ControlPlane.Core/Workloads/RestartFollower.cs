using ControlPlane.Core.Changes;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;

namespace ControlPlane.Core.Workloads;

/// <summary>
/// A restart's picture of a service: its tasks against those it had before the forced update. The image does not
/// change, so a task counts as restarted when it is new (not one of <c>before</c>) and running; the restart has
/// converged when as many run as are wanted, no old task is still meant to run, and Docker's update is over.
/// </summary>
public sealed record RestartView(int Done, int Total, int Stale, string? Failure, IReadOnlyList<(string Step, string State, string Message, string? Node)> Slots)
{
    public static RestartView Of(RolloutStatus status, IReadOnlySet<string> before, Func<string?, string> hostname)
    {
        var global = status.Service.Mode == "global";
        var meant = status.Tasks.Where(t => t.DesiredState is "running" or "ready" or "accepted" or "assigned").ToList();
        var fresh = status.Tasks.Where(t => !before.Contains(t.Id)).ToList();
        var done = fresh.Count(t => t.State == "running" && t.DesiredState == "running");
        var total = global ? meant.Select(t => t.NodeId).Distinct().Count() : (int)(status.Service.ReplicasDesired ?? 0);
        var stale = meant.Count(t => before.Contains(t.Id));
        var failed = fresh.Where(t => t.State is "failed" or "rejected").OrderByDescending(t => t.UpdatedAt).FirstOrDefault();
        var updateState = status.Service.UpdateState;
        var failure = updateState is "paused" or "rollback_started" or "rollback_paused" or "rollback_completed"
            ? $"Docker {(updateState == "paused" ? "paused the restart" : "rolled the restart back")} of {status.Service.Name}: {status.Service.UpdateMessage ?? failed?.Error ?? "a new task failed"}"
            : null;
        var slots = status.Tasks
            .GroupBy(t => global ? t.NodeId ?? "" : t.Slot?.ToString() ?? t.Id)
            .Select(g => g.OrderByDescending(t => t.CreatedAt).First())
            .Where(t => t.DesiredState == "running" || !before.Contains(t.Id))
            .OrderBy(t => t.Slot ?? 0).ThenBy(t => hostname(t.NodeId), StringComparer.Ordinal)
            .Select(t =>
            {
                var node = t.NodeId is null ? null : hostname(t.NodeId);
                var name = global ? $"node {node}" : $"slot {t.Slot}";
                var isNew = !before.Contains(t.Id);
                var state = !isNew ? OperationStates.Pending
                    : t.State == "running" ? OperationStates.Succeeded
                    : t.State is "failed" or "rejected" or "shutdown" or "orphaned" ? OperationStates.Failed
                    : OperationStates.Running;
                var detail = t.Error ?? (t.ExitCode is { } code ? $"exit code {code}" : null);
                return (name, state, $"{(node is null ? name : $"{name} on {node}")}: {t.State} {(isNew ? "(new task)" : "(old task)")}{(detail is null ? "" : $" — {detail}")}", node);
            })
            .ToList();
        return new RestartView(done, total, stale, failure, slots);
    }

    public bool Converged(string? updateState) => Done >= Total && Stale == 0 && updateState is null or "completed";
}

/// <summary>
/// Restarting a service (DESIGN §6 "Workloads"): a forced update (<c>TaskTemplate.ForceUpdate</c> + 1, as
/// <c>docker service update --force</c>) that replaces every task under the service's own update policy, followed
/// until the new tasks run, with a step per slot and the operation's progress (tasks replaced of tasks wanted).
/// </summary>
public sealed class RestartPlans(IWorkloadChanges workloads, IImageChanges engine, TimeProvider time)
{
    public const string Kind = "restart";

    /// <summary>
    /// Plans the restart. The tasks the service has now are read first and kept in the operation's parameters: they
    /// are the old ones, which a replica carrying the restart on (<see cref="PlanCarryOn"/>) must tell from the new.
    /// </summary>
    public async Task<OperationPlan> PlanRestartAsync(string clusterId, ClusterService service, Func<string?, string> hostname, CancellationToken cancellationToken)
    {
        if (service.IsUpdating)
        {
            throw new ChangeRejectedException(ChangeFailure.Conflict, $"Docker is updating {service.Name} right now ({service.UpdateState}); restart it once the update has ended.");
        }
        var before = (await engine.ReadRolloutAsync(clusterId, service.Id, cancellationToken)).Tasks.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
        return new OperationPlan(Kind, (int)(service.ReplicasDesired ?? 0), async context =>
        {
            await ForceAsync(context, clusterId, service.Id);
            await FollowAsync(context, clusterId, service.Id, before, hostname);
        })
        {
            Target = service.Name,
            Parameters = new RestartParameters(service.Name, service.ReplicasDesired, [.. before.Order(StringComparer.Ordinal)]),
        };
    }

    /// <summary>
    /// Carries on a restart another replica started and stopped (DESIGN §8). Docker's forced update went on without
    /// ControlPlane: when the "spec" step shows it was written it is only followed, against the old tasks kept in the
    /// parameters; otherwise it is forced now, from the tasks there are now (forcing twice only restarts them again).
    /// </summary>
    public OperationPlan PlanCarryOn(Operation operation, ClusterService service, Func<string?, string> hostname)
    {
        var kept = operation.ParametersAs<RestartParameters>();
        var forced = operation.FindStep("spec")?.State == OperationStates.Succeeded;
        var clusterId = operation.ClusterId;
        return new OperationPlan(Kind, operation.Progress.Total, async context =>
        {
            IReadOnlySet<string> before;
            if (forced && kept?.Before is { } recorded)
            {
                before = recorded.ToHashSet(StringComparer.Ordinal);
            }
            else if (forced)
            {
                throw new OperationFailedException($"The replica running this restart stopped, and its record does not say which tasks were the old ones: check {service.Name} and restart it again if needed.");
            }
            else
            {
                before = (await engine.ReadRolloutAsync(clusterId, service.Id, context.Cancellation)).Tasks.Select(t => t.Id).ToHashSet(StringComparer.Ordinal);
                await ForceAsync(context, clusterId, service.Id);
            }
            await FollowAsync(context, clusterId, service.Id, before, hostname);
        })
        {
            Target = service.Name,
        };
    }

    /// <summary>What a restart's record keeps: the tasks the service had before it (ids), so that another replica can carry it on.</summary>
    public sealed record RestartParameters(string? Service, long? Replicas, IReadOnlyList<string>? Before);

    private async Task ForceAsync(OperationContext context, string clusterId, string serviceId)
    {
        var change = await workloads.UpdateServiceSpecAsync(clusterId, serviceId, ForceUpdate, context.Cancellation);
        await context.StepAsync("spec", OperationStates.Succeeded, SpecDiff.Compute(change.Before, change.After));
    }

    /// <summary>The spec with its force counter moved on: Docker replaces every task, nothing else changes.</summary>
    public static System.Text.Json.Nodes.JsonObject ForceUpdate(System.Text.Json.Nodes.JsonObject spec)
    {
        var task = spec["TaskTemplate"] as System.Text.Json.Nodes.JsonObject ?? new System.Text.Json.Nodes.JsonObject();
        task["ForceUpdate"] = (ServiceSpecs.Number(task["ForceUpdate"]) ?? 0) + 1;
        spec["TaskTemplate"] = task;
        return spec;
    }

    private async Task FollowAsync(OperationContext context, string clusterId, string serviceId, IReadOnlySet<string> before, Func<string?, string> hostname)
    {
        var written = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        var last = (-1, -1);
        while (true)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var status = await ManagerPolling.ReadPatientlyAsync(
                () => engine.ReadRolloutAsync(clusterId, serviceId, context.Cancellation),
                ex => ex is not ChangeRejectedException { Reason: ChangeFailure.NotFound },
                null, time, context.Cancellation);
            var view = RestartView.Of(status, before, hostname);
            foreach (var (step, state, message, node) in view.Slots)
            {
                if (!written.TryGetValue(step, out var was) || was != (state, message))
                {
                    written[step] = (state, message);
                    await context.StepAsync(step, state, message, node: node);
                }
            }
            if ((view.Done, view.Total) != last)
            {
                last = (view.Done, view.Total);
                await context.ProgressAsync(Math.Min(view.Done, view.Total), view.Total);
            }
            if (view.Failure is not null)
            {
                throw new OperationFailedException(view.Failure, rolledBack: status.Service.UpdateState == "rollback_completed");
            }
            if (view.Converged(status.Service.UpdateState))
            {
                return;
            }
            await ManagerPolling.WaitAsync(time, context.Cancellation);
        }
    }
}
