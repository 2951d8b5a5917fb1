using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using ControlPlane.Core.Changes;
using ControlPlane.Core.Telemetry;
using ControlPlane.Docker.Configuration;
using Docker.DotNet;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Docker.Connection;

/// <summary>
/// The way to one cluster: its manager endpoints in order, one long-lived client per endpoint, and
/// failover to the next manager when the current one stops answering or is no longer a manager.
/// </summary>
public sealed partial class ClusterConnection : IDisposable
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

    /// <summary>
    /// Makes one Engine API call, counts it, and measures it for <c>/metrics</c> and traces. The route is read from the
    /// call's own source text (<c>c =&gt; c.Swarm.InspectServiceAsync(…)</c> is <c>Swarm.InspectService</c>), so every
    /// call site is labelled without naming itself, and the label set stays as small as the code.
    /// </summary>
    public async Task<T> CallAsync<T>(DockerClient client, Func<DockerClient, Task<T>> call, [CallerArgumentExpression(nameof(call))] string expression = "")
    {
        T value = default!;
        await MeasureAsync(async () => value = await call(client), expression);
        return value;
    }

    /// <summary>Makes one Engine API call without a result; counted and measured as the other.</summary>
    public Task CallAsync(DockerClient client, Func<DockerClient, Task> call, [CallerArgumentExpression(nameof(call))] string expression = "") =>
        MeasureAsync(() => call(client), expression);

    private async Task MeasureAsync(Func<Task> call, string expression)
    {
        _counter.Increment();
        var route = Routes.GetOrAdd(expression, RouteOf);
        using var activity = ControlPlaneTelemetry.Activities.StartActivity($"docker {route}", ActivityKind.Client);
        activity?.SetTag("controlplane.cluster", _cluster.Id);
        var started = Stopwatch.GetTimestamp();
        var result = "ok";
        try
        {
            await call();
        }
        catch (Exception ex)
        {
            result = ex switch
            {
                DockerApiException api => ((int)api.StatusCode).ToString(CultureInfo.InvariantCulture),
                OperationCanceledException => "cancelled",
                _ => "error",
            };
            activity?.SetStatus(ActivityStatusCode.Error, result);
            throw;
        }
        finally
        {
            ControlPlaneTelemetry.EngineRequest(route, result, Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private static readonly ConcurrentDictionary<string, string> Routes = new(StringComparer.Ordinal);

    /// <summary>The route label of a call's source text (public for its test).</summary>
    public static string RouteOf(string expression) =>
        RouteText().Match(expression) is { Success: true } match ? $"{match.Groups[1].Value}.{match.Groups[2].Value}"
        : MethodText().Match(expression) is { Success: true } method ? method.Groups[1].Value
        : "other";

    /// <summary><c>c.Swarm.InspectServiceAsync(</c>: the client's area and the call.</summary>
    [GeneratedRegex(@"\b\w+\.(\w+)\.(\w+?)Async\(")]
    private static partial Regex RouteText();

    /// <summary>A helper's call (<c>EngineFileKind.Of(kind).CreateAsync(</c>): the call alone.</summary>
    [GeneratedRegex(@"(\w+?)Async\(")]
    private static partial Regex MethodText();

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
