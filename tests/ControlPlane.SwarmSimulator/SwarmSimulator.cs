using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ControlPlane.SwarmSimulator;

/// <summary>
/// A simulated dockerd 20.10 swarm manager on a unix socket or TCP port: the Engine API ControlPlane uses, over a
/// <see cref="SimulatedSwarm"/>. Start one with <see cref="StartAsync"/>; <see cref="Endpoint"/> is what to configure
/// as the cluster's endpoint.
/// </summary>
public sealed class SwarmSimulator : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SwarmSimulator(WebApplication app, SimulatedSwarm swarm, string endpoint)
    {
        _app = app;
        Swarm = swarm;
        Endpoint = endpoint;
    }

    public SimulatedSwarm Swarm { get; }

    /// <summary><c>unix:///…</c> or <c>tcp://127.0.0.1:port</c>.</summary>
    public string Endpoint { get; }

    /// <summary>Requests answered so far (events streams included), for the benchmark's requests per minute.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    private long _requests;

    /// <summary>Fault: added to every answer from now on (not to events already streaming).</summary>
    public TimeSpan SlowAnswers { get; set; }

    public static async Task<SwarmSimulator> StartAsync(SimulatorOptions options, CancellationToken cancellationToken = default)
    {
        var swarm = new SimulatedSwarm(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var listen = new Uri(options.Listen);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (listen.Scheme == "unix")
            {
                File.Delete(listen.LocalPath);
                kestrel.ListenUnixSocket(listen.LocalPath);
            }
            else
            {
                kestrel.Listen(System.Net.IPAddress.Parse(listen.Host == "localhost" ? "127.0.0.1" : listen.Host), listen.Port);
            }
        });
        var app = builder.Build();
        SwarmSimulator? simulator = null;
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref simulator!._requests);
            // Clients address a version (/v1.41/…); this manager answers one API version whatever they ask.
            var path = context.Request.Path.Value ?? "";
            if (path.Length > 3 && path.StartsWith("/v", StringComparison.Ordinal) && char.IsDigit(path[2]))
            {
                var slash = path.IndexOf('/', 1);
                context.Request.Path = slash < 0 ? "/" : path[slash..];
            }
            var headers = context.Response.Headers;
            headers["Api-Version"] = SimulatedSwarm.ApiVersion;
            headers["Docker-Experimental"] = "false";
            headers["Ostype"] = "linux";
            headers["Server"] = $"Docker/{SimulatedSwarm.EngineVersion} (linux)";
            if (simulator.SlowAnswers > TimeSpan.Zero || options.SlowAnswers > TimeSpan.Zero)
            {
                await Task.Delay(simulator.SlowAnswers > TimeSpan.Zero ? simulator.SlowAnswers : options.SlowAnswers, context.RequestAborted);
            }
            try
            {
                await next(context);
            }
            catch (EngineError error) when (!context.Response.HasStarted)
            {
                context.Response.StatusCode = error.Status;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(JsonSerializer.Serialize(new { message = error.Message }) + "\n", context.RequestAborted);
            }
        });
        // Routing after the version prefix is stripped (the implicit routing would run first and match nothing).
        app.UseRouting();
        EngineApi.Map(app, swarm);
        MapFaults(app, swarm, () => simulator!);
        await app.StartAsync(cancellationToken);
        var endpoint = listen.Scheme == "unix"
            ? $"unix://{listen.LocalPath}"
            : new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) is var bound
                ? $"tcp://127.0.0.1:{bound.Port}"
                : throw new UnreachableException();
        simulator = new SwarmSimulator(app, swarm, endpoint);
        return simulator;
    }

    /// <summary>
    /// Faults and node failures for the program (the library's callers use <see cref="Swarm"/> directly), under a
    /// prefix dockerd does not have: <c>POST /_simulator/break-events</c>, <c>/_simulator/restart</c>,
    /// <c>/_simulator/slow?ms=N</c>, <c>/_simulator/nodes/{id}/down</c> and <c>/up</c>, <c>/_simulator/churn?rate=N</c>.
    /// </summary>
    private static void MapFaults(WebApplication app, SimulatedSwarm swarm, Func<SwarmSimulator> simulator)
    {
        var faults = app.MapGroup("/_simulator");
        faults.MapPost("/break-events", () => swarm.BreakEventStreams());
        faults.MapPost("/restart", () => swarm.Restart());
        faults.MapPost("/slow", (int ms) => simulator().SlowAnswers = TimeSpan.FromMilliseconds(Math.Max(0, ms)));
        faults.MapPost("/nodes/{id}/down", (string id) => swarm.SetNodeDown(id, true));
        faults.MapPost("/nodes/{id}/up", (string id) => swarm.SetNodeDown(id, false));
        faults.MapPost("/churn", (double rate) => swarm.ChurnOverride = Math.Max(0, rate));
    }

    public async ValueTask DisposeAsync()
    {
        Swarm.Dispose(); // ends open event streams first, so the host can stop
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The Engine API routes a swarm manager answers, as ControlPlane (and the docker CLI) call them.</summary>
internal static class EngineApi
{
    public static void Map(WebApplication app, SimulatedSwarm swarm)
    {
        app.MapGet("/_ping", (HttpContext c) => Text(c, "OK"));
        app.MapMethods("/_ping", ["HEAD"], (HttpContext c) => Text(c, ""));
        app.MapGet("/version", (HttpContext c) => Json(c, swarm.Version()));
        app.MapGet("/info", (HttpContext c) => Json(c, swarm.Info()));
        app.MapGet("/swarm", (HttpContext c) => Json(c, swarm.Swarm()));

        app.MapGet("/nodes", (HttpContext c) => Array(c, swarm.ListNodes(Filters.Parse(c.Request.Query["filters"]))));
        app.MapGet("/nodes/{id}", (HttpContext c, string id) => Json(c, swarm.InspectNode(id)));
        app.MapPost("/nodes/{id}/update", async (HttpContext c, string id) =>
        {
            swarm.UpdateNode(id, Version(c), await Body(c));
            await Empty(c, 200);
        });
        app.MapDelete("/nodes/{id}", (HttpContext c, string id) =>
        {
            swarm.RemoveNode(id, c.Request.Query["force"] is ["1" or "true"]);
            return Empty(c, 200);
        });

        app.MapGet("/services", (HttpContext c) =>
            Array(c, swarm.ListServices(Filters.Parse(c.Request.Query["filters"]), c.Request.Query["status"] is ["1" or "true"])));
        app.MapGet("/services/{id}", (HttpContext c, string id) => Json(c, swarm.InspectService(id)));
        app.MapPost("/services/create", async (HttpContext c) =>
        {
            var id = swarm.CreateService(await Body(c));
            await Json(c, JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["ID"] = id }), 201);
        });
        app.MapPost("/services/{id}/update", async (HttpContext c, string id) =>
        {
            var rollback = c.Request.Query["rollback"] == "previous";
            swarm.UpdateService(id, Version(c), rollback ? null : await Body(c), rollback);
            await Json(c, "{}"u8.ToArray());
        });
        app.MapDelete("/services/{id}", (HttpContext c, string id) =>
        {
            swarm.RemoveService(id);
            return Empty(c, 200);
        });

        app.MapGet("/tasks", (HttpContext c) => Array(c, swarm.ListTasks(Filters.Parse(c.Request.Query["filters"]))));
        app.MapGet("/tasks/{id}", (HttpContext c, string id) => Json(c, swarm.InspectTask(id)));

        foreach (var (route, config) in new[] { ("secrets", false), ("configs", true) })
        {
            app.MapGet($"/{route}", (HttpContext c) => Array(c, swarm.ListFiles(config, Filters.Parse(c.Request.Query["filters"]))));
            app.MapGet($"/{route}/{{id}}", (HttpContext c, string id) => Json(c, swarm.InspectFile(config, id)));
            app.MapPost($"/{route}/create", async (HttpContext c) =>
            {
                var spec = await Body(c);
                var id = swarm.CreateFile(config, spec["Name"]?.GetValue<string>(), spec["Labels"] as JsonObject, spec["Data"]?.GetValue<string>());
                await Json(c, JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["ID"] = id }), 201);
            });
            app.MapPost($"/{route}/{{id}}/update", async (HttpContext c, string id) =>
            {
                swarm.UpdateFile(config, id, Version(c), await Body(c));
                await Empty(c, 200);
            });
            app.MapDelete($"/{route}/{{id}}", (HttpContext c, string id) =>
            {
                swarm.RemoveFile(config, id);
                return Empty(c, 204);
            });
        }

        app.MapGet("/networks", (HttpContext c) => Array(c, swarm.ListNetworks()));
        app.MapGet("/networks/{id}", (HttpContext c, string id) => Json(c, swarm.InspectNetwork(id)));
        app.MapGet("/containers/json", (HttpContext c) => Array(c, swarm.ListContainers(c.Request.Query["all"] is ["1" or "true"])));
        app.MapGet("/containers/{id}/json", (HttpContext c, string id) => Json(c, swarm.InspectContainer(id)));
        app.MapGet("/images/json", (HttpContext c) => Json(c, SimulatedSwarm.ListImages()));
        app.MapGet("/distribution/{**name}", (HttpContext c, string name) =>
            name.EndsWith("/json", StringComparison.Ordinal)
                ? Json(c, SimulatedSwarm.Distribution(name[..^"/json".Length]))
                : throw new EngineError(404, "page not found"));
        app.MapGet("/events", (HttpContext c) => Events(c, swarm));
        app.MapFallback((HttpContext c) => throw new EngineError(404, "page not found"));
    }

    private static ulong Version(HttpContext c) =>
        ulong.TryParse(c.Request.Query["version"], out var version)
            ? version
            : throw new EngineError(400, "invalid swarm version: the version query parameter is required");

    private static async Task<JsonObject> Body(HttpContext c)
    {
        try
        {
            return await JsonNode.ParseAsync(c.Request.Body, cancellationToken: c.RequestAborted) as JsonObject
                ?? throw new EngineError(400, "request body must be a JSON object");
        }
        catch (JsonException ex)
        {
            throw new EngineError(400, $"invalid JSON: {ex.Message}");
        }
    }

    private static async Task Text(HttpContext c, string text)
    {
        c.Response.ContentType = "text/plain; charset=utf-8";
        c.Response.Headers.CacheControl = "no-cache, no-store, must-revalidate";
        c.Response.Headers.Pragma = "no-cache";
        await c.Response.WriteAsync(text);
    }

    private static Task Empty(HttpContext c, int status)
    {
        c.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    private static async Task Json(HttpContext c, byte[] json, int status = 200)
    {
        c.Response.StatusCode = status;
        c.Response.ContentType = "application/json";
        c.Response.ContentLength = json.Length + 1;
        await c.Response.Body.WriteAsync(json);
        await c.Response.Body.WriteAsync("\n"u8.ToArray());
    }

    /// <summary>A JSON array written from each object's kept bytes: no serialization, only copies.</summary>
    private static async Task Array(HttpContext c, IReadOnlyList<byte[]> items)
    {
        c.Response.ContentType = "application/json";
        var writer = c.Response.BodyWriter;
        var length = 3L + Math.Max(0, items.Count - 1);
        foreach (var item in items)
        {
            length += item.Length;
        }
        c.Response.ContentLength = length;
        writer.Write("["u8);
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0)
            {
                writer.Write(","u8);
            }
            writer.Write(items[i]);
            if (writer.UnflushedBytes > 64 * 1024)
            {
                await writer.FlushAsync(c.RequestAborted);
            }
        }
        writer.Write("]\n"u8);
        await writer.FlushAsync(c.RequestAborted);
    }

    /// <summary>
    /// <c>/events</c>: the kept events from <c>since</c> to <c>until</c>, then (without <c>until</c>, or with one in the
    /// future) the live ones, each a JSON line flushed as it happens.
    /// </summary>
    private static async Task Events(HttpContext c, SimulatedSwarm swarm)
    {
        var filters = Filters.Parse(c.Request.Query["filters"]);
        filters.Only("config", "container", "daemon", "event", "image", "label", "network", "node", "plugin", "scope", "secret", "service", "type", "volume");
        var since = ParseTime(c.Request.Query["since"]);
        var until = ParseTime(c.Request.Query["until"]);
        var (past, live, unsubscribe) = swarm.SubscribeEvents(since ?? (until is not null ? 0 : null));
        try
        {
            c.Response.ContentType = "application/json";
            await c.Response.StartAsync(c.RequestAborted);
            await c.Response.Body.FlushAsync(c.RequestAborted); // the headers now: a client waits for them before any event
            foreach (var e in past)
            {
                if (until is { } u && e.TimeNano > u)
                {
                    return;
                }
                if (Matches(filters, e))
                {
                    await c.Response.Body.WriteAsync(e.Json, c.RequestAborted);
                    await c.Response.Body.FlushAsync(c.RequestAborted);
                }
            }
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(c.RequestAborted);
            if (until is { } end)
            {
                var wait = TimeSpan.FromTicks((end - Time.UnixNanos(DateTime.UtcNow)) / 100);
                if (wait <= TimeSpan.Zero)
                {
                    return;
                }
                deadline.CancelAfter(wait);
            }
            try
            {
                await foreach (var e in live.ReadAllAsync(deadline.Token))
                {
                    if (Matches(filters, e))
                    {
                        // One chunk per event, flushed, as dockerd writes them: Docker.DotNet's own chunked reader
                        // (its unix socket transport) fails on an event split across chunks.
                        await c.Response.Body.WriteAsync(e.Json, deadline.Token);
                        await c.Response.Body.FlushAsync(deadline.Token);
                    }
                }
            }
            catch (OperationCanceledException) when (!c.RequestAborted.IsCancellationRequested)
            {
                // until reached
            }
            catch (IOException)
            {
                // The simulator broke the stream (a fault): end the response without its final chunk.
                c.Abort();
            }
        }
        finally
        {
            unsubscribe();
        }
    }

    internal static bool Matches(Filters filters, SimEvent e) =>
        filters.Match("type", v => v == e.Type)
        && filters.Match("event", v => v == e.Action)
        && filters.Match("scope", v => v == e.Scope)
        // dockerd's fuzzyMatchName: a filter on an object kind keeps events whose actor id starts with, or whose name is, a value, whatever their type.
        && filters.Match("service", v => Actor(e, v))
        && filters.Match("node", v => Actor(e, v))
        && filters.Match("secret", v => Actor(e, v))
        && filters.Match("config", v => Actor(e, v))
        && filters.Match("network", v => Actor(e, v))
        && filters.Match("container", v => Actor(e, v))
        && filters.Match("label", v =>
        {
            var parts = v.Split('=', 2);
            return e.Attributes.TryGetValue(parts[0], out var value) && (parts.Length == 1 || value == parts[1]);
        });

    private static bool Actor(SimEvent e, string value) =>
        e.ActorId.StartsWith(value, StringComparison.Ordinal) || e.Attributes.TryGetValue("name", out var name) && name.StartsWith(value, StringComparison.Ordinal);

    /// <summary>Unix seconds with an optional fraction (<c>1796087518.513</c>), as clients send since and until, in nanoseconds.</summary>
    internal static long? ParseTime(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (decimal.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            return (long)(seconds * 1_000_000_000m);
        }
        if (DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var time))
        {
            return Time.UnixNanos(time.UtcDateTime);
        }
        throw new EngineError(400, $"invalid timestamp {value}");
    }
}
