using ControlPlane.Core.Model;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Health;

/// <summary>The one-word answer to "is this cluster all right?".</summary>
public enum HealthVerdict
{
    Healthy,
    Warning,
    Critical,
}

/// <summary>A failed task worth a team lead's attention, with the error Docker gave.</summary>
public sealed record FailingTask(string TaskId, string ServiceId, string ServiceName, string? NodeId, string? NodeHostname, string State, string Error, DateTimeOffset At);

/// <summary>What the overview shows: the verdict, the reasons behind it, and the facts they come from.</summary>
public sealed record ClusterHealth(
    HealthVerdict Verdict,
    IReadOnlyList<string> Reasons,
    int NodesTotal,
    int NodesReady,
    int NodesDown,
    int NodesDrained,
    int Managers,
    int ManagersReachable,
    int QuorumNeeded,
    int ServicesTotal,
    int ServicesConverged,
    IReadOnlyList<ClusterService> ServicesNotConverged,
    IReadOnlyList<ClusterService> UpdatesInProgress,
    IReadOnlyList<FailingTask> FailingTasks,
    IReadOnlyDictionary<string, int> EngineVersions,
    int TasksRunning)
{
    /// <summary>How far back failed tasks count as "failing".</summary>
    public static readonly TimeSpan FailureWindow = TimeSpan.FromHours(1);

    public bool HasQuorum => Managers == 0 || ManagersReachable >= QuorumNeeded;

    public bool HasVersionSkew => EngineVersions.Count > 1;

    /// <summary>Secret families overdue for rotation (their schedule, or the cluster-wide threshold).</summary>
    public IReadOnlyList<Secrets.StaleSecret> StaleSecrets { get; init; } = [];

    /// <summary>How long an <see cref="EvaluateShared"/> answer serves later callers of the same state.</summary>
    public static readonly TimeSpan SharedFor = TimeSpan.FromSeconds(5);

    /// <summary>
    /// <see cref="Evaluate"/>, shared by every caller of the same state within <see cref="SharedFor"/>: every open
    /// Overview (and each one's prerender and interactive render) then reads a 50,000-task state once, not once per
    /// render per browser (DESIGN §11). One answer per state is kept, and goes with the state.
    /// </summary>
    public static ClusterHealth EvaluateShared(ClusterState state, DateTimeOffset now, TimeSpan secretsStaleAfter)
    {
        var latest = SharedViews.Of(state, "cluster-health", _ => new Latest());
        if (latest.Value is { } last && last.StaleAfter == secretsStaleAfter && now >= last.At && now - last.At < SharedFor)
        {
            return last.Health;
        }
        var health = Evaluate(state, now, secretsStaleAfter);
        latest.Value = new LatestHealth(now, secretsStaleAfter, health);
        return health;
    }

    private sealed record LatestHealth(DateTimeOffset At, TimeSpan StaleAfter, ClusterHealth Health);

    private sealed class Latest
    {
        public volatile LatestHealth? Value;
    }

    /// <summary>
    /// Reads a cluster's state as of <paramref name="now"/>; secrets older than <paramref name="secretsStaleAfter"/>
    /// (default <see cref="Secrets.StaleSecrets.DefaultStaleAfterDays"/> days) count as stale.
    /// </summary>
    public static ClusterHealth Evaluate(ClusterState state, DateTimeOffset now, TimeSpan? secretsStaleAfter = null)
    {
        var nodes = state.Nodes.ToList();
        var hostnames = nodes.ToDictionary(n => n.Id, n => n.Hostname);
        var managers = nodes.Where(n => n.Role == "manager").ToList();
        var reachable = managers.Count(m => m.ManagerReachability == "reachable");
        var quorum = managers.Count / 2 + 1;
        var services = state.Services.ToList();
        var updating = services.Where(s => s.IsUpdating || s.UpdateState is "paused" or "rollback_paused").OrderBy(s => s.Name).ToList();
        var notConverged = services.Where(s => !s.IsConverged && !s.IsUpdating).OrderBy(s => s.Name).ToList();
        var names = services.ToDictionary(s => s.Id, s => s.Name);
        // Failures of a service that is gone need nobody's attention any more; Docker keeps such tasks for a while
        // (ControlPlane's own pull jobs among them, whose errors their distribution operation reports).
        var failing = state.Tasks
            .Where(t => t.State is "failed" or "rejected" && t.UpdatedAt >= now - FailureWindow && names.ContainsKey(t.ServiceId))
            .OrderByDescending(t => t.UpdatedAt)
            .Select(t => new FailingTask(t.Id, t.ServiceId, names[t.ServiceId],
                t.NodeId, t.NodeId is null ? null : hostnames.GetValueOrDefault(t.NodeId), t.State,
                t.Error ?? t.Message ?? (t.ExitCode is { } code ? $"exit code {code}" : "no error given"), t.UpdatedAt))
            .ToList();
        var versions = nodes.GroupBy(n => n.EngineVersion).ToDictionary(g => g.Key, g => g.Count());

        var down = nodes.Count(n => n.State != "ready");
        var drained = nodes.Count(n => n.Availability != "active");
        var critical = new List<string>();
        var warnings = new List<string>();

        switch (state.Cluster.Status)
        {
            case ClusterStatus.Unreachable:
                critical.Add($"No manager answers: {state.Cluster.Error}");
                break;
            case ClusterStatus.Degraded:
                warnings.Add($"The live view is reconnecting; the picture may be stale ({state.Cluster.Error})");
                break;
            case ClusterStatus.Connecting:
                warnings.Add("Waiting for the first listing of the cluster");
                break;
        }
        if (managers.Count > 0 && reachable < quorum)
        {
            critical.Add($"Managers have lost quorum: {reachable} of {managers.Count} reachable, {quorum} needed; the swarm cannot change");
        }
        else if (reachable < managers.Count)
        {
            warnings.Add($"{managers.Count - reachable} of {managers.Count} managers unreachable; one more loss may break quorum");
        }
        if (managers.Count is 2 or 4 or 6)
        {
            warnings.Add($"{managers.Count} managers tolerate no more failures than {managers.Count - 1}; use an odd number");
        }
        if (down > 0)
        {
            warnings.Add($"{down} of {nodes.Count} nodes not ready: {string.Join(", ", nodes.Where(n => n.State != "ready").Take(5).Select(n => $"{n.Hostname} ({n.State})"))}{(down > 5 ? ", …" : "")}");
        }
        if (notConverged.Count > 0)
        {
            warnings.Add($"{notConverged.Count} services not converged: {string.Join(", ", notConverged.Take(5).Select(s => $"{s.Name} {s.ReplicasRunning}/{s.ReplicasDesired}"))}{(notConverged.Count > 5 ? ", …" : "")}");
        }
        var paused = updating.Where(s => s.UpdateState is "paused" or "rollback_paused").ToList();
        if (paused.Count > 0)
        {
            warnings.Add($"Update paused on {string.Join(", ", paused.Take(5).Select(s => s.Name))}{(paused.Count > 5 ? ", …" : "")}: {paused[0].UpdateMessage}");
        }
        if (failing.Count > 0)
        {
            warnings.Add($"{failing.Count} tasks failed in the last hour, latest on {failing[0].ServiceName}: {failing[0].Error}");
        }
        foreach (var drift in Images.ServiceDrift.Drifting(state))
        {
            warnings.Add($"{drift.ServiceName}: image differs on {drift.DifferingNodes} node{(drift.DifferingNodes == 1 ? "" : "s")} from {Images.ImageReferenceSyntax.WithoutDigest(drift.Image)}@{drift.WantedDigest?[..Math.Min(19, drift.WantedDigest.Length)]}");
        }
        if (versions.Count > 1)
        {
            warnings.Add($"Engine versions differ across nodes: {string.Join(", ", versions.OrderByDescending(v => v.Value).Select(v => $"{v.Key} ×{v.Value}"))}");
        }

        var stale = Secrets.StaleSecrets.Find(state, now, secretsStaleAfter ?? TimeSpan.FromDays(Secrets.StaleSecrets.DefaultStaleAfterDays));
        if (stale.Count > 0)
        {
            warnings.Add($"{(stale.Count == 1 ? "1 secret is" : $"{stale.Count} secrets are")} due for rotation: {string.Join(", ", stale.Take(5).Select(s => $"{s.Family} ({s.Reason})"))}{(stale.Count > 5 ? ", …" : "")}");
        }

        var verdict = critical.Count > 0 ? HealthVerdict.Critical : warnings.Count > 0 ? HealthVerdict.Warning : HealthVerdict.Healthy;
        return new ClusterHealth(
            verdict, [.. critical, .. warnings],
            nodes.Count, nodes.Count - down, down, drained,
            managers.Count, reachable, quorum,
            services.Count, services.Count(s => s.IsConverged), notConverged, updating, failing, versions,
            state.Tasks.Count(t => t.IsRunning))
        {
            StaleSecrets = stale,
        };
    }
}
