using System.Runtime.CompilerServices;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Logs;

/// <summary>
/// The one way logs are read, by pages and the API alike: finds the target in the store's whole picture
/// of the cluster, checks <see cref="Permissions.Services.ReadLogs"/> on its stack through the <see cref="ChangeGate"/> (which audits a refusal), and
/// only then asks the <see cref="ILogSource"/>.
/// </summary>
public sealed class LogReader(ClusterStateStore store, ILogSource source, ChangeGate gate)
{
    /// <summary>
    /// Yields the target's lines. The check runs each time the sequence is enumerated, so every read, follow
    /// and restart is judged on the caller's grants and the target's stack as they are then. Throws
    /// <see cref="LogAccessDeniedException"/> before any line when the caller may not read them.
    /// </summary>
    public async IAsyncEnumerable<LogLine> ReadAsync(
        ChangeCaller caller, string clusterId, LogTarget requested, LogOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (target, scope, subject) = Resolve(clusterId, requested);
        if (await gate.RefuseAsync(caller, new ChangeIntent(Permissions.Services.ReadLogs, scope, Permissions.Services.ReadLogs, subject)) is not null)
        {
            // The same words whether the target exists elsewhere or not at all, so a refusal tells nothing about other stacks.
            throw new LogAccessDeniedException($"You have no grant that allows reading the logs of {requested.Describe()} ('{Permissions.Services.ReadLogs}').");
        }
        await foreach (var line in source.ReadAsync(clusterId, target, options, cancellationToken))
        {
            yield return line;
        }
    }

    /// <summary>
    /// What the request names in the store's whole picture (never the caller's filtered view), and the scope
    /// that judges it: the object's stack, or the cluster for objects outside stacks and for names the store
    /// does not know (the engine might still find them, and nothing says which stack they are in).
    /// </summary>
    private (LogTarget Target, AccessTarget Scope, string Subject) Resolve(string clusterId, LogTarget requested)
    {
        var state = store.GetState(clusterId);
        if (state is null)
        {
            return (requested, AccessTarget.InCluster(clusterId), requested.Id);
        }
        if (requested.Kind == LogTargetKind.Service)
        {
            return state.FindService(requested.Id) is { } service
                ? (LogTarget.Service(service.Id), AccessTarget.InCluster(clusterId, service.Stack), service.Name)
                : (requested, AccessTarget.InCluster(clusterId), requested.Id);
        }
        return LogTargets.FindContainer(state, requested.Id) is { } container
            ? (LogTarget.Container(container.Id), AccessTarget.InCluster(clusterId, ClusterVisibility.StackOf(container, state)), container.Name)
            : (requested, AccessTarget.InCluster(clusterId), requested.Id);
    }
}

/// <summary>The caller holds no grant that lets them read the logs they asked for (the refusal is already audited).</summary>
public sealed class LogAccessDeniedException(string message) : Exception(message);
