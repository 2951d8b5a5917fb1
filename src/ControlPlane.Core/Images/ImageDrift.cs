using ControlPlane.Core.Model;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Images;

/// <summary>One cell of the drift grid: how many running tasks of a service run which digest on which node.</summary>
public sealed record DriftCell(string NodeId, string NodeHostname, string? Digest, string Image, int Tasks);

/// <summary>
/// A service's node × digest grid: which image digest its running tasks run on which node, against the digest its
/// spec asks for. <see cref="DifferingNodes"/> counts nodes where a running task runs another digest.
/// </summary>
public sealed record ServiceDrift(string ServiceId, string ServiceName, string Image, string? WantedDigest, IReadOnlyList<DriftCell> Cells)
{
    public IReadOnlyList<string> Digests => Cells.Select(c => c.Digest ?? "").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    public int DifferingNodes => Cells.Where(c => c.Digest is not null && WantedDigest is not null && c.Digest != WantedDigest).Select(c => c.NodeId).Distinct().Count();

    /// <summary>
    /// Reads the grid from the cluster's state. The source is each running task's own spec image as the manager keeps it:
    /// when a service is updated with a pinned reference (<c>app:2@sha256:…</c>, as ControlPlane and the Docker CLI do), every
    /// task carries the digest it was created for, so tasks created from different spec versions (a paused or half-done
    /// rollout, a tag that moved between updates) show different digests. It is the most truthful source the manager
    /// has: container and image lists come only from the engine ControlPlane talks to, not from the other nodes. A task
    /// whose spec has no digest (a service created without one) resolved its tag on its node, which the manager cannot
    /// see; its cell shows no digest rather than a guess.
    /// </summary>
    public static ServiceDrift Of(ClusterState state, ClusterService service)
    {
        // The state's own indexes (tasks by service, nodes by id): Drifting reads every service, on every overview render.
        var cells = state.TasksOf(service.Id)
            .Where(t => t.IsRunning && t.DesiredState == "running" && t.NodeId is not null)
            .GroupBy(t => (t.NodeId!, Digest: ImageReferenceSyntax.DigestOf(t.Image), Image: ImageReferenceSyntax.WithoutDigest(t.Image ?? "")))
            .Select(g => new DriftCell(g.Key.Item1, state.Get<ClusterNode>(ResourceKind.Node, g.Key.Item1)?.Hostname ?? g.Key.Item1, g.Key.Digest, g.Key.Image, g.Count()))
            .OrderBy(c => c.NodeHostname, StringComparer.Ordinal).ThenBy(c => c.Digest, StringComparer.Ordinal).ThenBy(c => c.Image, StringComparer.Ordinal)
            .ToList();
        return new ServiceDrift(service.Id, service.Name, service.Image, ImageReferenceSyntax.DigestOf(service.Image), cells);
    }

    /// <summary>Every service of the state whose running tasks differ from its wanted digest on at least one node.</summary>
    public static IReadOnlyList<ServiceDrift> Drifting(ClusterState state) =>
        state.Services.Select(s => Of(state, s)).Where(d => d.DifferingNodes > 0).OrderBy(d => d.ServiceName, StringComparer.Ordinal).ToList();
}
