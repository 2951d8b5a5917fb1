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
/// cookies, no decompression, as a forwarder needs). The check runs beside the requests, not in front of them: asking a
/// manager for its version and info takes longer than most requests forwarded to it.
/// </summary>
public sealed class EngineUpstreams(ClusterRegistry clusters, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<ClusterEndpoint, EngineUpstream> _transports = new();
    private readonly ConcurrentDictionary<string, (ClusterEndpoint Endpoint, DateTimeOffset At)> _current = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _checking = new(StringComparer.Ordinal);

    /// <summary>Whether ControlPlane knows this cluster.</summary>
    public bool Knows(string clusterId) => clusters.Find(clusterId) is not null;

    /// <summary>The upstream for the cluster's current manager; throws <see cref="ClusterUnreachableException"/> when none answers.</summary>
    public async Task<EngineUpstream> CurrentAsync(string clusterId, CancellationToken ct)
    {
        var connection = clusters.Find(clusterId) ?? throw new ClusterUnreachableException($"There is no cluster '{clusterId}'.");
        if (!_current.TryGetValue(clusterId, out var current))
        {
            // Nothing known (the first request, or the last forward failed): this request waits for the connection's failover.
            var engine = await connection.ConnectAsync(ct);
            current = (engine.Endpoint, time.GetUtcNow());
            _current[clusterId] = current;
        }
        else if (time.GetUtcNow() - current.At > Recheck && _checking.TryAdd(clusterId, true))
        {
            // Still a manager? Asked in the background while this request goes to the one known; a manager that stopped
            // being one answers the forwarded request with an error of its own meanwhile.
            _ = Task.Run(async () =>
            {
                try
                {
                    var engine = await connection.ConnectAsync(CancellationToken.None);
                    _current[clusterId] = (engine.Endpoint, time.GetUtcNow());
                }
                catch (Exception)
                {
                    // No manager answered: the next request asks inline and gets the failover's answer (or its error).
                    _current.TryRemove(clusterId, out _);
                }
                finally
                {
                    _checking.TryRemove(clusterId, out _);
                }
            }, CancellationToken.None);
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
