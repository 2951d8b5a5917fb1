using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Changes;

/// <summary>
/// The application commands on services that pages and the API offer, each resolved against the store (to find
/// the service and its stack) and run through the <see cref="ChangeGate"/>, so every entry point checks,
/// audits and locks alike. Not to be confused with <see cref="ISwarmChanges"/>, the engine port.
/// </summary>
public sealed class ServiceCommands(ClusterStateStore store, ChangeGate gate, ISwarmChanges swarm, ChangeLimits limits)
{
    public Task<ChangeResult> ScaleAsync(ChangeCaller caller, string clusterId, string idOrName, long? replicas, CancellationToken ct = default)
    {
        var service = store.GetState(clusterId)?.FindService(idOrName);
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster(clusterId, service?.Stack), "services.scale", service?.Name ?? idOrName);
        return gate.RunAsync(caller, intent, token =>
            service is null ? throw ChangeRejections.NoService(clusterId, idOrName)
            : replicas is null ? throw new ChangeRejectedException(ChangeFailure.Invalid, "replicas is required: the number of tasks to run, 0 or more.")
            : replicas is < 0 ? throw new ChangeRejectedException(ChangeFailure.Invalid, $"replicas must be 0 or more; {replicas} was asked for.")
            : replicas > limits.MaxReplicas ? throw new ChangeRejectedException(ChangeFailure.Invalid,
                $"replicas may be at most {limits.MaxReplicas} ({ChangeLimits.SectionName}:MaxReplicas); {replicas} was asked for.")
            : swarm.ScaleServiceAsync(clusterId, service.Id, replicas.Value, token), ct);
    }
}
