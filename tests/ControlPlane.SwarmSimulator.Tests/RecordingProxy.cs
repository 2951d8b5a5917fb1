using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ControlPlane.SwarmSimulator.Tests;

/// <summary>One Engine API answer as ControlPlane's client received it.</summary>
public sealed class Exchange(string method, string path, string query)
{
    private readonly MemoryStream _body = new();

    public string Method { get; } = method;

    public string Path { get; } = path;

    public string Query { get; } = query;

    public int Status { get; set; }

    public byte[] Body
    {
        get
        {
            lock (_body)
            {
                return _body.ToArray();
            }
        }
    }

    public void Append(ReadOnlySpan<byte> chunk)
    {
        lock (_body)
        {
            _body.Write(chunk);
        }
    }

    public override string ToString() => $"{Method} {Path}{Query} → {Status}";
}

/// <summary>
/// A transparent proxy on a unix socket in front of an engine (real or simulated): ControlPlane's own code talks
/// to it unchanged, and every answer it receives is recorded, streams (events) as they arrive.
/// </summary>
public sealed class RecordingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;

    private RecordingProxy(WebApplication app, HttpClient upstream, string endpoint)
    {
        _app = app;
        _upstream = upstream;
        Endpoint = endpoint;
    }

    public string Endpoint { get; }

    public ConcurrentQueue<Exchange> Exchanges { get; } = new();

    public static async Task<RecordingProxy> StartAsync(string upstreamEndpoint)
    {
        var upstream = new HttpClient(Handler(new Uri(upstreamEndpoint), out var baseAddress))
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var socket = Path.Combine(Path.GetTempPath(), $"cp-recorder-{Guid.NewGuid():N}.sock");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socket));
        var app = builder.Build();
        RecordingProxy? proxy = null;
        app.Run(context => proxy!.ForwardAsync(context));
        await app.StartAsync();
        proxy = new RecordingProxy(app, upstream, $"unix://{socket}");
        return proxy;
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var request = context.Request;
        var exchange = new Exchange(request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "");
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), (request.Path.Value ?? "/").TrimStart('/') + request.QueryString.Value);
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            var body = new MemoryStream();
            await request.Body.CopyToAsync(body, context.RequestAborted);
            message.Content = new ByteArrayContent(body.ToArray());
            if (request.ContentType is { } type)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
        }
        using var response = await _upstream.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        exchange.Status = (int)response.StatusCode;
        Exchanges.Enqueue(exchange);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (header.Key is not ("Transfer-Encoding" or "Connection"))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }
        await using var stream = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                exchange.Append(buffer.AsSpan(0, read));
                await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or HttpRequestException)
        {
            // The client hung up (an events stream ends this way) or the engine broke the stream.
            context.Abort();
        }
    }

    private static SocketsHttpHandler Handler(Uri endpoint, out Uri baseAddress)
    {
        var handler = new SocketsHttpHandler();
        if (endpoint.Scheme == "unix")
        {
            var path = endpoint.LocalPath;
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
                return new NetworkStream(socket, ownsSocket: true);
            };
            baseAddress = new Uri("http://engine/");
        }
        else
        {
            baseAddress = new UriBuilder(endpoint) { Scheme = "http", Path = "/" }.Uri;
        }
        return handler;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
