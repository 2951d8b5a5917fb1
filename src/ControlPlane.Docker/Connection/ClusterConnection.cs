using System.Collections.Concurrent;
using ControlPlane.Core.Changes;
using ControlPlane.Docker.Configuration;
using Docker.DotNet;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Docker.Connection;

/// <summary>
/// The way to one cluster: its manager endpoints in order, one long-lived client per endpoint, and
/// failover to the next manager when the current one stops answering or is no longer a manager.
/// </summary>
public sealed class ClusterConnection : IDisposable
{
    private readonly ClusterDefinition _cluster;
    private readonly EngineRequestCounter _counter;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, DockerClient> _clients = new();
    private readonly ConcurrentDictionary<int, byte> _versionLogged = new();
    private volatile int _current;

    public ClusterConnection(ClusterDefinition cluster, EngineRequestCounter counter, ILogger<ClusterConnection> logger)
    {
        _cluster = cluster;
        _counter = counter;
        _logger = logger;
    }

    public ClusterDefinition Cluster => _cluster;

    /// <summary>
    /// Finds a manager that answers, starting with the current one, and returns its client with the
    /// engine's description. Throws <see cref="ClusterUnreachableException"/> naming every failure.
    /// </summary>
    public async Task<ConnectedEngine> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_cluster.Endpoints.Count == 0)
        {
            throw new ClusterUnreachableException($"Cluster '{_cluster.Name}' has no valid endpoint.");
        }
        var failures = new List<string>();
        for (var attempt = 0; attempt < _cluster.Endpoints.Count; attempt++)
        {
            var index = (_current + attempt) % _cluster.Endpoints.Count;
            var endpoint = _cluster.Endpoints[index];
            var client = _clients.GetOrAdd(index, _ => DockerClientFactory.Create(endpoint));
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var version = await CallAsync(client, c => c.System.GetVersionAsync(timeout.Token));
                var info = await CallAsync(client, c => c.System.GetSystemInfoAsync(timeout.Token));
                if (info.Swarm?.ControlAvailable != true)
                {
                    throw new InvalidOperationException(info.Swarm?.LocalNodeState is "active"
                        ? "the engine is a swarm worker, not a manager"
                        : "the engine is not part of a swarm (run 'docker swarm init')");
                }
                if (_versionLogged.TryAdd(index, 0))
                {
                    _logger.LogInformation("Cluster {Cluster}: {Endpoint} is Docker {EngineVersion}, API {ApiVersion}, node {NodeId}",
                        _cluster.Name, endpoint.Uri, version.Version, version.APIVersion, info.Swarm.NodeID);
                }
                if (index != _current)
                {
                    _logger.LogWarning("Cluster {Cluster}: failed over to {Endpoint}", _cluster.Name, endpoint.Uri);
                    _current = index;
                }
                return new ConnectedEngine(client, endpoint, version.Version, version.APIVersion, info.Swarm.NodeID, info.SystemTime);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                failures.Add($"{endpoint.Uri} ({endpoint.Setting}): {Describe(ex)}");
            }
        }
        throw new ClusterUnreachableException($"Cannot reach a manager of cluster '{_cluster.Name}': {string.Join("; ", failures)}");
    }

    /// <summary>Moves to the next endpoint, after the current one failed mid-stream.</summary>
    public void MoveToNextEndpoint()
    {
        if (_cluster.Endpoints.Count > 1)
        {
            _current = (_current + 1) % _cluster.Endpoints.Count;
        }
    }

    /// <summary>Makes one Engine API call and counts it.</summary>
    public Task<T> CallAsync<T>(DockerClient client, Func<DockerClient, Task<T>> call)
    {
        _counter.Increment();
        return call(client);
    }

    /// <summary>Makes one Engine API call without a result and counts it.</summary>
    public Task CallAsync(DockerClient client, Func<DockerClient, Task> call)
    {
        _counter.Increment();
        return call(client);
    }

    /// <summary>A short, operator-readable reason for a connection failure.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        DockerApiException api => $"Docker answered {(int)api.StatusCode}: {api.ResponseBody?.Trim()}",
        OperationCanceledException => "timed out",
        _ when ex.InnerException is { } inner && ex is HttpRequestException => inner.Message,
        _ => ex.Message,
    };

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}

/// <summary>A manager that answered: its client and what it said about itself.</summary>
public sealed record ConnectedEngine(DockerClient Client, ClusterEndpoint Endpoint, string EngineVersion, string ApiVersion, string NodeId, string SystemTime);
