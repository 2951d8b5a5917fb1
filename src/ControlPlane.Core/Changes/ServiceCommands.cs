using System.Text.Json;
using ControlPlane.Core.Images;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Core.Workloads;

namespace ControlPlane.Core.Changes;

/// <summary>
/// The application commands on services that pages and the API offer, each resolved against the store (to find
/// the service and its stack) and run through the <see cref="ChangeGate"/>, so every entry point checks,
/// audits and locks alike. Not to be confused with <see cref="ISwarmChanges"/> and <see cref="IWorkloadChanges"/>, the engine ports.
/// The scope of an existing service is its stack in ControlPlane's picture, never a name the caller typed; a new
/// service's is the stack its request's namespace label names. What a spec uses from elsewhere (families, networks)
/// needs the permission on its own scope too, and host uses need the restricted permission (<see cref="RestrictedRule"/>).
/// </summary>
public sealed class ServiceCommands(
    ClusterStateStore store,
    ChangeGate gate,
    ISwarmChanges swarm,
    ChangeLimits limits,
    IWorkloadChanges workloads,
    OperationRunner runner,
    RestartPlans restarts,
    IImageChanges images) : IOperationResumer
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

    /// <summary>
    /// Creates a service from <paramref name="request"/> (201 with the service on the API). Its scope is the stack of
    /// the request's namespace label (the cluster without one); its image is pinned to the registry's digest.
    /// </summary>
    public async Task<ChangeResult<ClusterService>> CreateAsync(ChangeCaller caller, string clusterId, ServiceRequest request, CancellationToken ct = default)
    {
        var state = store.GetState(clusterId);
        var name = request.Name?.Trim() ?? "";
        var mapped = state is null ? null : TryMap(() => ServiceSpecs.ForCreate(state, request, limits));
        var intent = new ChangeIntent(Permissions.Services.Create, AccessTarget.InCluster(clusterId, request.Stack), "services.create", name)
        {
            AlsoOn = mapped?.UsedScopes ?? [],
            AlsoNeeds = mapped is null ? [] : RestrictedRule.Needs(clusterId, name, mapped.HostUses),
            // The name's lock, whatever the stack, so two creates of one name never race.
            Lock = $"{clusterId}/services/{name}",
        };
        return await gate.PassAsync(caller, intent, async (_, token) =>
        {
            var current = state ?? throw ChangeRejections.NoCluster(clusterId);
            var spec = (mapped ?? ServiceSpecs.ForCreate(current, request, limits)).Spec;
            if (current.FindService(name) is { } existing && existing.Name == name)
            {
                throw new ChangeRejectedException(ChangeFailure.Conflict, $"A service named '{name}' exists already{(existing.Stack is null ? "" : $" (in stack {existing.Stack})")}.");
            }
            var check = await images.CheckImageAsync(clusterId, request.Image!.Trim(), token);
            spec["TaskTemplate"]!["ContainerSpec"]!["Image"] = check.Pinned;
            var created = await workloads.CreateServiceAsync(clusterId, spec, token);
            return new Acted<ClusterService>(created, $"Service {name} created.", Detail: check.Warning, Diff: SpecDiff.Compute("{}", spec.ToJsonString()));
        }, ct);
    }

    /// <summary>
    /// Applies the fields <paramref name="request"/> gives to the service's current spec (version-checked; when the
    /// spec moved meanwhile it is read again and the fields applied again, unless someone changed those very fields).
    /// The result carries the spec diff, which the audit record holds too.
    /// </summary>
    public async Task<ChangeResult> EditAsync(ChangeCaller caller, string clusterId, string idOrName, ServiceRequest request, CancellationToken ct = default)
    {
        var service = store.GetState(clusterId)?.FindService(idOrName);
        var intent = new ChangeIntent(Permissions.Services.Update, AccessTarget.InCluster(clusterId, service?.Stack), "services.edit", service?.Name ?? idOrName);
        MappedService? mapped = null;
        System.Text.Json.Nodes.JsonObject? read = null;
        // The spec is read only for a caller who may edit the service: what it uses decides what else is needed.
        if (service is not null && await gate.RefuseAsync(caller, intent) is { } refused)
        {
            return refused;
        }
        if (service is not null)
        {
            try
            {
                read = await workloads.ReadServiceSpecAsync(clusterId, service.Id, ct);
                mapped = TryMap(() => ServiceSpecs.ForEdit(store.GetState(clusterId)!, read, request, limits));
            }
            catch (ChangeRejectedException)
            {
                // Gone meanwhile, or the manager did not answer: the act below meets it again and says so.
            }
        }
        var mayUseHost = AccessPolicy.IsAllowed(caller.Grants, Permissions.Services.Unrestricted, AccessTarget.InCluster(clusterId));
        intent = intent with
        {
            AlsoOn = mapped?.UsedScopes ?? [],
            AlsoNeeds = mapped is null ? [] : RestrictedRule.Needs(clusterId, service!.Name, mapped.HostUses),
        };
        return await gate.RunAsync(caller, intent, async token =>
        {
            if (service is null)
            {
                throw ChangeRejections.NoService(clusterId, idOrName);
            }
            read ??= await workloads.ReadServiceSpecAsync(clusterId, service.Id, token);
            var first = mapped ?? ServiceSpecs.ForEdit(store.GetState(clusterId)!, read, request, limits);
            string? pinned = null;
            if (request.Image is { } image)
            {
                pinned = (await images.CheckImageAsync(clusterId, image.Trim(), token)).Pinned;
            }
            return await workloads.UpdateServiceSpecAsync(clusterId, service.Id, fresh =>
            {
                if (ServiceSpecs.ChangedBetween(read, fresh, first.Paths) is { Count: > 0 } moved)
                {
                    throw new ChangeRejectedException(ChangeFailure.Conflict,
                        $"Someone changed {string.Join(", ", moved)} of {service.Name} meanwhile; read the service again and repeat the change if it still applies.");
                }
                var again = ServiceSpecs.ForEdit(store.GetState(clusterId)!, fresh, request, limits);
                if (!mayUseHost && again.HostUses.FirstOrDefault() is { } use)
                {
                    throw new ChangeRejectedException(ChangeFailure.Forbidden,
                        $"{service.Name} asks for {use.What} ({use.Key}), which only an Admin of the cluster may use.");
                }
                if (pinned is not null)
                {
                    again.Spec["TaskTemplate"]!["ContainerSpec"]!["Image"] = pinned;
                }
                return again.Spec;
            }, token);
        }, ct);
    }

    /// <summary>Restarts every task of the service: a forced update, as an operation followed until the new tasks run.</summary>
    public Task<ChangeResult> RestartAsync(ChangeCaller caller, string clusterId, string idOrName, CancellationToken ct = default)
    {
        var service = store.GetState(clusterId)?.FindService(idOrName);
        return runner.StartAsync(caller, RestartIntent(clusterId, service, idOrName), token => restarts.PlanRestartAsync(clusterId,
            service ?? throw ChangeRejections.NoService(clusterId, idOrName), store.Hostnames(clusterId), token), ct);
    }

    public bool Resumes(string kind) => kind == RestartPlans.Kind;

    /// <summary>A restart another replica started and stopped (DESIGN §8), carried on under the same change; a service gone from the picture fails it.</summary>
    public OperationResumption Resume(Operation operation)
    {
        var service = store.GetState(operation.ClusterId)?.FindService(operation.Target);
        var intent = RestartIntent(operation.ClusterId, service, operation.Target);
        return new OperationResumption(intent, service is null
            ? OperationPlan.TargetGone(operation)
            : restarts.PlanCarryOn(operation, service, store.Hostnames(operation.ClusterId)));
    }

    private static ChangeIntent RestartIntent(string clusterId, ClusterService? service, string idOrName) =>
        new(Permissions.Services.Update, AccessTarget.InCluster(clusterId, service?.Stack), "services.restart", service?.Name ?? idOrName);

    /// <summary>Removes the service, whatever its spec's version; the audit record keeps the spec it had.</summary>
    public Task<ChangeResult> RemoveAsync(ChangeCaller caller, string clusterId, string idOrName, CancellationToken ct = default)
    {
        var service = store.GetState(clusterId)?.FindService(idOrName);
        var intent = new ChangeIntent(Permissions.Services.Remove, AccessTarget.InCluster(clusterId, service?.Stack), "services.remove", service?.Name ?? idOrName);
        return gate.RunAsync(caller, intent, token =>
            service is null ? throw ChangeRejections.NoService(clusterId, idOrName) : workloads.RemoveServiceAsync(clusterId, service.Id, token), ct);
    }

    /// <summary>The mapping when the request is valid, else null: its problems are reported by the act, after the permission check.</summary>
    private static MappedService? TryMap(Func<MappedService> map)
    {
        try
        {
            return map();
        }
        catch (ChangeRejectedException)
        {
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
