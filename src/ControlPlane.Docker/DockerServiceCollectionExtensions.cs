using ControlPlane.Core.Logs;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Operations;
using ControlPlane.Core.State;
using ControlPlane.Docker.Changes;
using ControlPlane.Docker.Configuration;
using ControlPlane.Docker.Connection;
using ControlPlane.Docker.Logs;
using ControlPlane.Docker.Watching;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ControlPlane.Docker;

/// <summary>Registers cluster connections, the state store and the watchers.</summary>
public static class DockerServiceCollectionExtensions
{
    public static IServiceCollection AddControlPlaneClusters(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ClustersOptions>()
            .Bind(configuration.GetSection(ClustersOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClustersOptions>, ClustersOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(new WatcherTimings());
        services.AddSingleton<ClusterStateStore>();
        services.AddSingleton<EngineRequestCounter>();
        services.AddSingleton<ClusterRegistry>();
        services.AddSingleton<ISwarmChanges, DockerSwarmChanges>();
        services.AddSingleton<ControlPlane.Core.Secrets.IFileObjectChanges, DockerFileObjectChanges>();
        services.AddSingleton<ControlPlane.Core.Images.IImageChanges, DockerImageChanges>();
        services.AddSingleton<ControlPlane.Core.Stacks.IStackChanges, DockerStackChanges>();
        services.AddSingleton<ControlPlane.Core.Workloads.IWorkloadChanges, DockerWorkloadChanges>();
        services.AddSingleton<ChangeLocks>();
        services.AddSingleton<IEngineFaults, DockerEngineFaults>();
        services.AddSingleton<ChangeGate>();
        services.TryAddSingleton<IOperationStore, InMemoryOperationStore>();
        services.AddSingleton<OperationRunner>();
        services.AddHostedService<ClusterWatcherService>();
        services.AddSingleton<ILogSource, DockerLogSource>();
        services.AddSingleton<LogReader>();
        return services;
    }
}
