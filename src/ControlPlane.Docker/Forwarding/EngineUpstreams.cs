using System.Collections.Concurrent;
using System.Net.Sockets;
using ControlPlane.Core.Changes;
using ControlPlane.Docker.Changes;
using ControlPlane.Docker.Configuration;
using ControlPlane.Docker.Connection;

namespace ControlPlane.Docker.Forwarding;

/// <summary>Where to forward an Engine API request: a transport to the cluster's current manager and the address to use on it.</summary>
public sealed record EngineUpstream(HttpMessageInvoker Invoker, string DestinationPrefix)
{
    internal ClusterEndpoint? Endpoint { get; init; }

    /// <summary>A transport of its own for one hijacked session (exec, attach) with this manager; see <see cref="EngineSession"/>.</summary>
    public EngineSession OpenSession() => new(Endpoint ?? throw new InvalidOperationException("This upstream names no endpoint."));
}

/// <summary>
/// The connection of one hijacked session (<c>docker exec -i</c>, <c>attach</c>) to the engine, which keeps its socket so
/// that the client's end of input can be passed on as the engine expects it: a half-close (<see cref="EndInput"/>),
/// after which the engine still sends the command's output until it ends the stream. Docker's own CLI does the same on
/// its connection (also under TLS, where it closes the raw connection's sending side). A transport per session rather
/// than the shared pool's: a pooled connection may be opened for one request and serve another, and a hijacked
/// connection is never reused anyway.
/// </summary>
public sealed class EngineSession : IDisposable
{
    private Socket? _socket;

    internal EngineSession(ClusterEndpoint endpoint)
    {
        var handler = EngineUpstreams.Transport(endpoint, out var baseAddress);
        var connect = handler.ConnectCallback ?? ConnectTcpAsync;
        handler.ConnectCallback = async (context, ct) =>
        {
            var stream = await connect(context, ct);
            _socket = (stream as NetworkStream)?.Socket;
            return stream;
        };
        handler.PooledConnectionLifetime = TimeSpan.Zero;
        Invoker = new HttpMessageInvoker(handler);
        DestinationPrefix = baseAddress.GetLeftPart(UriPartial.Authority);
    }

    public HttpMessageInvoker Invoker { get; }

    public string DestinationPrefix { get; }

    /// <summary>Tells the engine the client has no more input (a half-close of the sending side); its output keeps coming.</summary>
    public void EndInput()
    {
        try
        {
            _socket?.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The connection is already gone: the session is ending anyway.
        }
    }

    public void Dispose() => Invoker.Dispose();

    private static async ValueTask<Stream> ConnectTcpAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

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
            var handler = Transport(endpoint, out var baseAddress);
            return new EngineUpstream(new HttpMessageInvoker(handler), baseAddress.GetLeftPart(UriPartial.Authority)) { Endpoint = endpoint };
        });
    }

    /// <summary>A transport to the endpoint as a forwarder needs it: no proxy, redirects, cookies or decompression.</summary>
    internal static SocketsHttpHandler Transport(ClusterEndpoint endpoint, out Uri baseAddress)
    {
        var handler = EngineHttp.Handler(endpoint, out baseAddress);
        handler.UseProxy = false;
        handler.AllowAutoRedirect = false;
        handler.AutomaticDecompression = System.Net.DecompressionMethods.None;
        handler.UseCookies = false;
        handler.ConnectTimeout = TimeSpan.FromSeconds(10);
        return handler;
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
