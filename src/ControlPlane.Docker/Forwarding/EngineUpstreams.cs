using System.Collections.Concurrent;
using ControlPlane.Core.Changes;
using ControlPlane.Docker.Changes;
using ControlPlane.Docker.Configuration;
using ControlPlane.Docker.Connection;

namespace ControlPlane.Docker.Forwarding;

/// <summary>Where to forward an Engine API request: a transport to the cluster's current manager and the address to use on it.</summary>
public sealed record EngineUpstream(HttpMessageInvoker Invoker, string DestinationPrefix);

/// <summary>
/// The cluster's current manager for the Docker API endpoint, through the existing connection and its failover: the
/// manager is checked at most every few seconds, and each endpoint keeps one long-lived transport (no redirects, no
/// cookies, no decompression, as a forwarder needs).
/// </summary>
public sealed class EngineUpstreams(ClusterRegistry clusters, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<ClusterEndpoint, EngineUpstream> _transports = new();
    private readonly ConcurrentDictionary<string, (ClusterEndpoint Endpoint, DateTimeOffset At)> _current = new(StringComparer.Ordinal);

    /// <summary>Whether ControlPlane knows this cluster.</summary>
    public bool Knows(string clusterId) => clusters.Find(clusterId) is not null;

    /// <summary>The upstream for the cluster's current manager; throws <see cref="ClusterUnreachableException"/> when none answers.</summary>
    public async Task<EngineUpstream> CurrentAsync(string clusterId, CancellationToken ct)
    {
        var connection = clusters.Find(clusterId) ?? throw new ClusterUnreachableException($"There is no cluster '{clusterId}'.");
        var now = time.GetUtcNow();
        if (!_current.TryGetValue(clusterId, out var current) || now - current.At > Recheck)
        {
            var engine = await connection.ConnectAsync(ct);
            current = (engine.Endpoint, now);
            _current[clusterId] = current;
        }
        return _transports.GetOrAdd(current.Endpoint, endpoint =>
        {
            var handler = EngineHttp.Handler(endpoint, out var baseAddress);
            handler.UseProxy = false;
            handler.AllowAutoRedirect = false;
            handler.AutomaticDecompression = System.Net.DecompressionMethods.None;
            handler.UseCookies = false;
            handler.ConnectTimeout = TimeSpan.FromSeconds(10);
            return new EngineUpstream(new HttpMessageInvoker(handler), baseAddress.GetLeftPart(UriPartial.Authority));
        });
    }

    /// <summary>Forgets the manager after a failed forward, so the next request asks the connection (and its failover) again.</summary>
    public void Failed(string clusterId)
    {
        _current.TryRemove(clusterId, out _);
    }

    public void Dispose()
    {
        foreach (var upstream in _transports.Values)
        {
            upstream.Invoker.Dispose();
        }
    }
}
