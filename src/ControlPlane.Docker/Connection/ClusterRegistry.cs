using ControlPlane.Docker.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ControlPlane.Docker.Connection;

/// <summary>The configured clusters and one connection to each, shared by the watcher and by changes.</summary>
public sealed class ClusterRegistry : IDisposable
{
    private readonly Dictionary<string, ClusterConnection> _connections;

    public ClusterRegistry(IOptions<ClustersOptions> options, EngineRequestCounter counter, ILoggerFactory loggers)
    {
        var clusters = ClusterEndpointResolver.Resolve(options.Value, Environment.GetEnvironmentVariable("DOCKER_HOST"), out var errors);
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(ClustersOptions.SectionName, typeof(ClustersOptions), errors);
        }
        _connections = clusters.ToDictionary(
            c => c.Id,
            c => new ClusterConnection(c, counter, loggers.CreateLogger<ClusterConnection>()),
            StringComparer.Ordinal);
    }

    public IEnumerable<ClusterConnection> Connections => _connections.Values;

    public ClusterConnection? Find(string clusterId) => _connections.GetValueOrDefault(clusterId);

    public void Dispose()
    {
        foreach (var connection in _connections.Values)
        {
            connection.Dispose();
        }
    }
}
