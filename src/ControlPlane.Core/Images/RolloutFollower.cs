using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;

namespace ControlPlane.Core.Images;

/// <summary>How following a service's update ended.</summary>
public enum RolloutEnd
{
    /// <summary>Docker completed the update and every task runs the target image.</summary>
    Converged,

    /// <summary>Docker rolled the service back by itself (failure action rollback).</summary>
    RolledBack,

    /// <summary>Docker paused the update (failure action pause, or a paused rollback).</summary>
    Paused,
}

/// <summary>The end of a followed update, with the failing task's error when it did not converge.</summary>
public sealed record RolloutOutcome(RolloutEnd End, string? Error);

/// <summary>Whether a follower watches an update to a new spec or Docker's rollback to the previous one.</summary>
public enum RolloutDirection
{
    Update,
    Rollback,
}

/// <summary>
/// Follows one service while Docker moves its tasks to a target image, by reading the manager every
/// <see cref="ManagerPolling.Interval"/> (tasks have no events, DESIGN §3). Records one step per task slot (per node for global
/// services) and one for Docker's update status, and the operation's progress: tasks running the target image of the
/// replicas wanted. Writes only what changed, so the operation's record moves when the swarm does.
/// </summary>
public sealed class RolloutFollower(IImageChanges engine, TimeProvider time)
{
    /// <summary>
    /// Follows <paramref name="serviceId"/> until its update to <paramref name="targetImage"/> ends. <paramref name="stepPrefix"/>
    /// names the steps ("web: " in a wave, empty for one service); <paramref name="reportProgress"/> sets the operation's
    /// progress from the tasks (a wave counts services instead).
    /// </summary>
    public async Task<RolloutOutcome> FollowAsync(
        OperationContext context, string clusterId, string serviceId, string targetImage, RolloutDirection direction,
        Func<string?, string> hostname, string stepPrefix = "", bool reportProgress = true, TimeSpan? stableFor = null)
    {
        DateTimeOffset? convergedSince = null;
        DateTimeOffset? idleSince = null;
        var written = new Dictionary<string, (string State, string? Message)>(StringComparer.Ordinal);
        var lastDone = -1;
        var lastTotal = -1;
        string? rolledBack = null;
        string? failing = null;
        var batchOf = new Dictionary<string, int>(StringComparer.Ordinal);
        while (true)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            // A manager failing over answers nothing for a moment; Docker goes on meanwhile, so the follow does too.
            var status = await ManagerPolling.ReadPatientlyAsync(
                () => engine.ReadRolloutAsync(clusterId, serviceId, context.Cancellation),
                ex => ex is not ChangeRejectedException { Reason: ChangeFailure.NotFound },
                ex => WriteAsync(context, written, stepPrefix + "docker update", OperationStates.Running, $"the manager did not answer ({ex.Message}); trying again", null),
                time,
                context.Cancellation);
            var view = RolloutView.Of(status, targetImage, hostname);
            if (view.FailingTaskError is { } error && failing is null)
            {
                // Kept as its own step: the slot's step moves on when Docker replaces or rolls back the task.
                failing = error;
                await WriteAsync(context, written, stepPrefix + "failing task", OperationStates.Failed, error, null);
            }

            // Docker moves `parallelism` tasks at a time: a slot's batch is the order in which it got the target image.
            var policy = direction == RolloutDirection.Rollback ? status.Service.Details.Rollback : status.Service.Details.Update;
            foreach (var slot in view.Slots.Where(s => s.OnTarget && rolledBack is null && !batchOf.ContainsKey(s.Name)))
            {
                batchOf[slot.Name] = policy.Parallelism <= 0 ? 1 : batchOf.Count / (int)policy.Parallelism + 1;
            }
            foreach (var slot in view.Slots)
            {
                // Once Docker has rolled back, the slots move back to the previous image: batches of the update no longer apply.
                var message = rolledBack is null && batchOf.TryGetValue(slot.Name, out var batch) ? $"batch {batch} · {slot.Message}" : slot.Message;
                await WriteAsync(context, written, stepPrefix + slot.Name, slot.State, message, slot.Node);
            }
            foreach (var batch in batchOf.Where(_ => rolledBack is null).GroupBy(b => b.Value, b => b.Key).OrderBy(g => g.Key))
            {
                var slots = view.Slots.Where(s => batch.Contains(s.Name)).ToList();
                var state = slots.Any(s => s.State == OperationStates.Failed) ? OperationStates.Failed
                    : slots.All(s => s.State == OperationStates.Succeeded) ? OperationStates.Succeeded : OperationStates.Running;
                await WriteAsync(context, written, $"{stepPrefix}batch {batch.Key}", state,
                    string.Join(", ", slots.Select(s => s.Node is null ? s.Name : $"{s.Name} on {s.Node}")), null);
            }
            var updateState = status.Service.UpdateState;
            await WriteAsync(context, written, stepPrefix + "docker update", UpdateStepState(updateState, direction),
                status.Service.UpdateMessage ?? (updateState is null ? "waiting for Docker to start the update" : updateState), null);
            // The progress counts tasks on the new image; while Docker rolls back it keeps what the update reached.
            if (reportProgress && rolledBack is null && (view.Done != lastDone || view.Total != lastTotal))
            {
                (lastDone, lastTotal) = (view.Done, view.Total);
                await context.ProgressAsync(view.Done, view.Total);
            }

            var converged = view.Done == view.Total && view.Extra == 0;
            convergedSince = converged ? convergedSince ?? time.GetUtcNow() : null;
            // Docker starts no update when every task already has the spec (a resume after the last slot was moved,
            // say): with failing tasks and no update status, nothing will change by itself, so the follow ends.
            idleSince = updateState is null && !converged && failing is not null ? idleSince ?? time.GetUtcNow() : null;
            if (direction == RolloutDirection.Update && time.GetUtcNow() - idleSince > IdleLimit(stableFor))
            {
                return new RolloutOutcome(RolloutEnd.Paused,
                    $"Docker is not updating {status.Service.Name} (every task already has this spec) and its tasks keep failing: {failing}");
            }
            var why = failing ?? view.FailingTaskError ?? status.Service.UpdateMessage ?? "a task failed";
            switch (direction, updateState)
            {
                // Every task has run the new image for the monitor period: Docker no longer counts their failures
                // against the update, and only its trailing delay stands between now and "completed". This is also
                // when `docker service update` returns; the time is ControlPlane's own clock from when it first saw
                // the tasks converged, so a skewed manager clock does not matter.
                case (RolloutDirection.Update, "updating") when converged && failing is null && stableFor is { } monitor
                    && time.GetUtcNow() - convergedSince >= monitor:
                    await WriteAsync(context, written, stepPrefix + "docker update", OperationStates.Succeeded,
                        $"every task has run the new image for the monitor period ({monitor.TotalSeconds:0.#} s)", null);
                    return new RolloutOutcome(RolloutEnd.Converged, null);
                case (RolloutDirection.Update, "completed" or null) when converged:
                case (RolloutDirection.Rollback, "rollback_completed" or "completed") when converged:
                    return new RolloutOutcome(RolloutEnd.Converged, null);
                case (RolloutDirection.Update, "rollback_completed") when rolledBack is not null && converged:
                    return new RolloutOutcome(RolloutEnd.RolledBack, rolledBack);
                case (RolloutDirection.Update, "rollback_completed") when rolledBack is null:
                    // Docker has put the previous spec back; follow its tasks until they run it, then report.
                    rolledBack = $"Docker rolled {status.Service.Name} back to {ImageReferenceSyntax.WithoutDigest(status.Service.Image)}: {why}";
                    targetImage = status.Service.Image;
                    continue;
                case (_, "paused" or "rollback_paused"):
                    return new RolloutOutcome(RolloutEnd.Paused,
                        $"Docker paused the {(updateState == "paused" ? "update" : "rollback")} of {status.Service.Name}: {why}");
            }
            await ManagerPolling.WaitAsync(time, context.Cancellation);
        }
    }

    private static TimeSpan IdleLimit(TimeSpan? monitor) => (monitor ?? TimeSpan.Zero) + TimeSpan.FromSeconds(10);

    private static string UpdateStepState(string? updateState, RolloutDirection direction) => updateState switch
    {
        "completed" => OperationStates.Succeeded,
        "paused" or "rollback_paused" => OperationStates.Failed,
        "rollback_completed" => direction == RolloutDirection.Rollback ? OperationStates.Succeeded : OperationStates.RolledBack,
        null => OperationStates.Pending,
        _ => OperationStates.Running,
    };

    private static async Task WriteAsync(OperationContext context, Dictionary<string, (string, string?)> written, string name, string state, string? message, string? node)
    {
        if (written.TryGetValue(name, out var last) && last == (state, message))
        {
            return;
        }
        written[name] = (state, message);
        await context.StepAsync(name, state, message, node: node);
    }
}

/// <summary>One task slot of a service during an update: its newest task and what that means for the rollout.</summary>
public sealed record RolloutSlot(string Name, string State, string Message, string? Node, bool OnTarget, bool Running);

/// <summary>
/// A service's tasks read against a target image: per slot (per node for global services) the newest task, how many
/// run the target image (<see cref="Done"/>) of how many are wanted (<see cref="Total"/>), and the error of the newest
/// task on the target image that failed.
/// </summary>
public sealed record RolloutView(IReadOnlyList<RolloutSlot> Slots, int Done, int Total, int Extra, string? FailingTaskError)
{
    public static RolloutView Of(RolloutStatus status, string targetImage, Func<string?, string> hostname)
    {
        var global = status.Service.Mode == "global";
        var target = ImageReferenceSyntax.WithoutDigest(targetImage);
        var targetDigest = ImageReferenceSyntax.DigestOf(targetImage);
        bool OnTarget(ClusterTask task) => task.Image is { } image
            && (targetDigest is not null ? ImageReferenceSyntax.DigestOf(image) == targetDigest || (ImageReferenceSyntax.DigestOf(image) is null && ImageReferenceSyntax.WithoutDigest(image) == target)
                : ImageReferenceSyntax.WithoutDigest(image) == target);

        var slots = new List<RolloutSlot>();
        var groups = status.Tasks
            .GroupBy(t => global ? t.NodeId ?? "" : t.Slot?.ToString() ?? t.Id)
            .Select(g => g.OrderByDescending(t => t.CreatedAt).ThenByDescending(t => t.ObjectVersion).First())
            // A slot whose newest task is meant to stop belongs to an earlier scale or to a node that left.
            .Where(t => t.DesiredState is "running" or "ready" or "accepted" or "assigned" || (OnTarget(t) && t.State is "failed" or "rejected"))
            .OrderBy(t => t.Slot ?? 0).ThenBy(t => hostname(t.NodeId), StringComparer.Ordinal)
            .ToList();
        foreach (var task in groups)
        {
            var node = task.NodeId is null ? null : hostname(task.NodeId);
            var name = global ? $"node {node}" : $"slot {task.Slot}";
            var on = OnTarget(task);
            var image = ImageReferenceSyntax.WithoutDigest(task.Image ?? "?");
            var where = node is null ? name : $"{name} on {node}";
            var detail = task.Error ?? (task.ExitCode is { } code ? $"exit code {code}" : null);
            var state = on
                ? task.State switch
                {
                    "running" => OperationStates.Succeeded,
                    "failed" or "rejected" or "shutdown" or "orphaned" => OperationStates.Failed,
                    _ => OperationStates.Running,
                }
                : OperationStates.Pending;
            var message = $"{where}: {task.State} {image}{(on ? "" : " (previous image)")}{(detail is null ? "" : $" — {detail}")}";
            slots.Add(new RolloutSlot(name, state, message, node, on, task.State == "running"));
        }

        var total = global ? slots.Count : (int)(status.Service.ReplicasDesired ?? 0);
        var done = slots.Count(s => s.OnTarget && s.Running);
        // Tasks still running another image in slots beyond the wanted count (a start-first update keeps both for a moment).
        var extra = status.Tasks.Count(t => t.State == "running" && t.DesiredState == "running" && !OnTarget(t));
        var failing = status.Tasks
            .Where(t => OnTarget(t) && (t.State is "failed" or "rejected" || t.Error is not null))
            .OrderByDescending(t => t.UpdatedAt)
            .FirstOrDefault();
        var error = failing is null ? null
            : $"task {(global ? "" : $"slot {failing.Slot} ")}on {hostname(failing.NodeId)} {failing.State} running {ImageReferenceSyntax.WithoutDigest(failing.Image ?? "?")}: {failing.Error ?? failing.Message ?? "no error given"}{(failing.ExitCode is { } exit ? $" (exit code {exit})" : "")}";
        return new RolloutView(slots, done, total, extra, error);
    }
}
