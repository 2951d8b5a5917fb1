using System.Net;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Core.Audit;
using ControlPlane.Core.Changes;
using ControlPlane.Core.DockerApi;
using ControlPlane.Core.Identity;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Docker.Forwarding;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Authorization;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace ControlPlane.Web.DockerApi;

/// <summary>
/// The Docker API endpoint's whole pipeline (DESIGN §10): the client certificate to its bundle and user, or an API token to
/// its user (revocation and expiry checked on every request), the route to its class, the gate, then the request forwarded to the cluster's
/// current manager, a list filtered to what the caller may see. Only requests to the endpoint's own listener get here.
/// </summary>
public sealed class DockerApiHandler(
    DockerApiCallers callers, ChangeGate gate, ClusterStateStore store, EngineUpstreams upstreams, ExecRecords execs,
    IHttpForwarder forwarder, ILogger<DockerApiHandler> logger)
{
    private const int MaxInspectedBody = 4 * 1024 * 1024;
    private static readonly TimeSpan PictureWait = TimeSpan.FromSeconds(3);

    // Streams (logs -f, events) may stay quiet for long; the client ends them.
    private static readonly ForwarderRequestConfig Streaming = new() { ActivityTimeout = TimeSpan.FromHours(12), Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

    /// <summary>The docker CLI's answer format: it prints <c>message</c> after "Error response from daemon:".</summary>
    public static Task RefuseAsync(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        // Exactly this type: the docker CLI reads the message out of JSON only when the header says no more.
        http.Response.ContentType = "application/json";
        return http.Response.WriteAsync(JsonSerializer.Serialize(new { message }));
    }

    public async Task InvokeAsync(HttpContext http)
    {
        var segments = (http.Request.Path.Value ?? "").TrimStart('/').Split('/', 3);
        if (segments is not ["clusters", { Length: > 0 } cluster, ..])
        {
            await RefuseAsync(http, StatusCodes.Status404NotFound, "ControlPlane serves each cluster under /clusters/<cluster id>: set DOCKER_HOST=tcp://<host>:<port>/clusters/<cluster id>.");
            return;
        }
        var enginePath = segments.Length > 2 ? "/" + segments[2] : "/";
        if (await CallerAsync(http) is not { } caller)
        {
            return;
        }
        if (!upstreams.Knows(cluster) || store.GetState(cluster) is null || !ClusterVisibility.For(caller.Grants, cluster).SeesAnything)
        {
            // The same answer for a cluster that does not exist and one the caller may not see.
            await gate.AuditRefusalAsync(caller.Actor, $"docker {http.Request.Method} {enginePath}", cluster, caller.ClientAddress, "no such cluster, or none the caller may see");
            await RefuseAsync(http, StatusCodes.Status404NotFound, $"There is no cluster '{cluster}' you may see.");
            return;
        }
        var call = EngineRoutes.Classify(http.Request.Method, enginePath);
        // A hijacked request's body was taken off the wire before Kestrel saw it (HijackedRequests).
        var hijack = call.Route.Hijacks && http.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgradable ? upgradable : null;
        var hijackBody = hijack is not null && http.Features.Get<IConnectionItemsFeature>()?.Items is { } items && items.Remove(HijackedRequests.BodyItem, out var taken) ? (byte[]?)taken : null;
        var body = call.Route.Access != EngineAccess.Change ? null
            : hijack is not null ? (hijackBody is null ? null : ParseObject(hijackBody))
            : await ReadBodyAsync(http);
        var verdict = await DecideAsync(call, cluster, caller, body, http.RequestAborted);
        if (verdict.Refusal is { } refusal)
        {
            await gate.RecordAsync(caller.Actor, verdict.Intent.Action, verdict.Intent.AuditTarget, AuditResult.Denied, caller.ClientAddress, refusal);
            await RefuseAsync(http, StatusCodes.Status403Forbidden, refusal);
            return;
        }
        if (call.Route.Access != EngineAccess.Change)
        {
            if (await gate.RefuseAsync(caller, verdict.Intent) is { } refused)
            {
                await RefuseAsync(http, StatusCodes.Status403Forbidden, refused.Message);
                return;
            }
            var visibility = ClusterVisibility.For(caller.Grants, cluster);
            if (call.Route is { Access: EngineAccess.List, Kind: Core.Model.ResourceKind.Event } && !visibility.SeesEverything)
            {
                await ForwardEventsAsync(http, cluster, enginePath, visibility);
            }
            else if (call.Route is { Access: EngineAccess.List, Kind: { } kind } && !visibility.SeesEverything)
            {
                await ForwardFilteredAsync(http, cluster, enginePath, kind, visibility);
            }
            else if (call.Route.Pattern == "/info" && !visibility.SeesEverything)
            {
                await ForwardInfoAsync(http, cluster, enginePath);
            }
            else
            {
                await ForwardAsync(http, cluster, enginePath);
            }
            return;
        }
        var audited = EngineAuthorization.ForAudit(call, body);
        var result = await gate.PassAsync(caller, verdict.Intent, async (_, _) =>
        {
            var status = hijack is not null ? await HijackAsync(http, cluster, enginePath, hijack, hijackBody)
                : call.Route.Pattern == "/containers/{id}/exec" ? await CreateExecAsync(http, cluster, enginePath, call.ObjectId!)
                : await ForwardAsync(http, cluster, enginePath);
            var detail = $"{http.Request.Method} {enginePath} → {status}" + (audited.Length > 0 ? $"; body {audited}" : "");
            return status < 400
                ? new Acted<int>(status, "Done.", detail)
                : throw new ChangeRejectedException(ChangeFailure.Failed, $"The engine answered {detail}");
        }, CancellationToken.None);
        if (result.Failure is not null && !http.Response.HasStarted)
        {
            await RefuseAsync(http, result.Failure switch
            {
                ChangeFailure.Forbidden => StatusCodes.Status403Forbidden,
                ChangeFailure.Conflict => StatusCodes.Status409Conflict,
                ChangeFailure.NotFound => StatusCodes.Status404NotFound,
                ChangeFailure.Invalid => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status502BadGateway,
            }, result.Message);
        }
    }

    /// <summary>
    /// The caller behind the connection's certificate, or behind an API token sent as <c>Authorization: Bearer cpt_…</c>
    /// (from the CLI's <c>HttpHeaders</c>), with their current grants; null (and answered) when neither is live.
    /// </summary>
    private async Task<ChangeCaller?> CallerAsync(HttpContext http)
    {
        var certificate = http.Connection.ClientCertificate;
        var caller = certificate is not null ? await callers.ByBundleAsync(certificate.SerialNumber, http.ClientAddress(), http.RequestAborted)
            : ApiTokenAuthenticationHandler.TokenOf(http.Request) is { } token ? await callers.ByTokenAsync(token, http.ClientAddress(), http.RequestAborted)
            : null;
        if (caller is null)
        {
            var what = certificate is null ? "no client certificate and no live API token" : "the client bundle is revoked or expired, or its user is gone";
            await gate.AuditRefusalAsync($"docker cli, certificate {certificate?.SerialNumber ?? "none"}", $"docker {http.Request.Method} {http.Request.Path}", "ControlPlane",
                http.ClientAddress(), what);
            await RefuseAsync(http, StatusCodes.Status401Unauthorized, certificate is null
                ? "ControlPlane's Docker API needs a client bundle's certificate (DOCKER_CERT_PATH) or an API token as 'Authorization: Bearer cpt_…'."
                : "This client bundle is revoked or expired: download a new one from your account page.");
        }
        return caller;
    }

    /// <summary>
    /// The verdict on ControlPlane's picture. An object created a moment ago (a network <c>docker stack deploy</c> has
    /// just made) may not be in the picture yet: a caller who is not allowed on the whole cluster waits for it briefly.
    /// </summary>
    private async Task<EngineVerdict> DecideAsync(EngineCall call, string cluster, ChangeCaller caller, JsonObject? body, CancellationToken ct)
    {
        var verdict = EngineAuthorization.Decide(call, cluster, store.GetState(cluster)!, caller.Grants, body, execs);
        if (verdict.Unresolved.Count == 0 || AccessPolicy.IsAllowed(caller.Grants, call.Route.Permission, AccessTarget.InCluster(cluster)))
        {
            return verdict;
        }
        using var subscription = store.Subscribe(cluster);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
        wait.CancelAfter(PictureWait);
        try
        {
            while (true)
            {
                verdict = EngineAuthorization.Decide(call, cluster, store.GetState(cluster)!, caller.Grants, body, execs);
                if (verdict.Unresolved.Count == 0)
                {
                    return verdict;
                }
                await subscription.Batches.ReadAsync(wait.Token);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
        }
        return verdict;
    }

    /// <summary>A change's JSON body, read so the rules can see it and kept for the forwarder to send on.</summary>
    private static async Task<JsonObject?> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength is 0 || !(http.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return null;
        }
        http.Request.EnableBuffering(MaxInspectedBody);
        try
        {
            var node = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
            return node as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
        finally
        {
            http.Request.Body.Position = 0;
        }
    }

    private static JsonObject? ParseObject(byte[] json)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Creates an exec instance and records which container it is for, so that starting it later is authorized on that
    /// container's stack (<see cref="ExecRecords"/>): the engine's answer is read whole for its id, then passed on.
    /// </summary>
    private async Task<int> CreateExecAsync(HttpContext http, string cluster, string enginePath, string container)
    {
        if (await SendAsync(http, cluster, HttpMethod.Post, enginePath, new StreamContent(http.Request.Body)) is not { } response)
        {
            return http.Response.StatusCode;
        }
        using var answered = response;
        var content = await response.Content.ReadAsByteArrayAsync(http.RequestAborted);
        if (response.IsSuccessStatusCode && ParseObject(content)?["Id"]?.GetValue<string>() is { Length: > 0 } execId)
        {
            // The container as the engine resolved the name the caller gave, when the picture did not know it yet.
            execs.Add(cluster, execId, store.GetState(cluster) is { } state && EngineAuthorization.Find(state, Core.Model.ResourceKind.Container, container) is { } found ? found.Id : container);
        }
        http.Response.StatusCode = (int)response.StatusCode;
        http.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        await http.Response.Body.WriteAsync(content, http.RequestAborted);
        return http.Response.StatusCode;
    }

    /// <summary>
    /// Docker's hijack: the request goes to the engine asking for the upgrade, and once the engine answers <c>101</c> the
    /// client's connection is upgraded too and bytes flow both ways until the engine ends the session (the command
    /// exited, the container stopped) or the client goes away. The client's end of input (the CLI half-closes its side
    /// after stdin's end, at once without stdin) does not end the session: it is passed on to the engine as a half-close
    /// of its own connection (<see cref="EngineSession.EndInput"/>), so <c>echo x | docker exec -i c cat</c> ends, and the
    /// engine's output still reaches the client until the engine ends its stream.
    /// </summary>
    private async Task<int> HijackAsync(HttpContext http, string cluster, string enginePath, IHttpUpgradeFeature upgrade, byte[]? body)
    {
        var content = body is null ? null : new ByteArrayContent(body);
        if (content is not null)
        {
            content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(http.Request.ContentType ?? "application/json");
        }
        EngineUpstream upstream;
        try
        {
            upstream = await upstreams.CurrentAsync(cluster, http.RequestAborted);
        }
        catch (ClusterUnreachableException ex)
        {
            await RefuseAsync(http, StatusCodes.Status502BadGateway, ex.Message);
            return StatusCodes.Status502BadGateway;
        }
        // Disposed last (declared first): closing the session's transport closes the engine's connection.
        using var transport = upstream.OpenSession();
        if (await SendAsync(http, cluster, transport.Invoker, transport.DestinationPrefix, HttpMethod.Post, enginePath, content, hijack: true) is not { } response)
        {
            return http.Response.StatusCode;
        }
        using var answered = response;
        if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
        {
            // The engine's refusal (no such exec, a container that is not running) as it answered it.
            http.Response.StatusCode = (int)response.StatusCode;
            http.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            await response.Content.CopyToAsync(http.Response.Body, http.RequestAborted);
            return http.Response.StatusCode;
        }
        await using var engine = await response.Content.ReadAsStreamAsync(http.RequestAborted);
        http.Response.Headers.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/vnd.docker.raw-stream";
        http.Response.Headers.Upgrade = "tcp";
        await using var client = await upgrade.UpgradeAsync();
        // Not tied to the request's abort: the CLI closes its sending side as soon as it has no more input (at once,
        // without stdin), which Kestrel reports as an abort, while the engine's output still has to reach it.
        using var session = new CancellationTokenSource();
        var toEngine = ToEngineAsync(client, engine, transport, session.Token);
        await PumpAsync(engine, client, session.Token);
        await session.CancelAsync();
        await toEngine;
        return StatusCodes.Status101SwitchingProtocols;
    }

    /// <summary>The client's input to the engine; its end (not the session's) is passed on as the engine's end of input.</summary>
    private static async Task ToEngineAsync(Stream client, Stream engine, EngineSession transport, CancellationToken session)
    {
        await PumpAsync(client, engine, session);
        if (!session.IsCancellationRequested)
        {
            transport.EndInput();
        }
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken ct)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            // Each read passed on at once: a terminal's keystrokes and a log's lines must not wait for a full buffer.
            int read;
            while ((read = await from.ReadAsync(buffer, ct)) > 0)
            {
                await to.WriteAsync(buffer.AsMemory(0, read), ct);
                await to.FlushAsync(ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or HttpRequestException)
        {
            // One side went away: the session is over.
        }
    }

    /// <summary>A request of ControlPlane's own to the cluster's current manager; null (and answered) when none answers.</summary>
    private async Task<HttpResponseMessage?> SendAsync(HttpContext http, string cluster, HttpMethod method, string enginePath, HttpContent? content)
    {
        EngineUpstream upstream;
        try
        {
            upstream = await upstreams.CurrentAsync(cluster, http.RequestAborted);
        }
        catch (ClusterUnreachableException ex)
        {
            await RefuseAsync(http, StatusCodes.Status502BadGateway, ex.Message);
            return null;
        }
        return await SendAsync(http, cluster, upstream.Invoker, upstream.DestinationPrefix, method, enginePath, content);
    }

    private async Task<HttpResponseMessage?> SendAsync(HttpContext http, string cluster, HttpMessageInvoker invoker, string destinationPrefix, HttpMethod method, string enginePath, HttpContent? content, bool hijack = false)
    {
        var request = new HttpRequestMessage(method, destinationPrefix + new PathString(enginePath).ToUriComponent() + http.Request.QueryString.Value)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        if (content is not null && http.Request.ContentType is { } type && content.Headers.ContentType is null)
        {
            content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(type);
        }
        if (hijack)
        {
            request.Headers.Connection.Add("Upgrade");
            request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("tcp"));
        }
        try
        {
            return await invoker.SendAsync(request, http.RequestAborted);
        }
        catch (HttpRequestException ex)
        {
            upstreams.Failed(cluster);
            await RefuseAsync(http, StatusCodes.Status502BadGateway, $"The cluster's manager did not answer: {ex.Message}");
            return null;
        }
    }

    /// <summary>Forwards the request as it is (streams and all) and answers the status the client got.</summary>
    private async Task<int> ForwardAsync(HttpContext http, string cluster, string enginePath)
    {
        EngineUpstream upstream;
        try
        {
            upstream = await upstreams.CurrentAsync(cluster, http.RequestAborted);
        }
        catch (ClusterUnreachableException ex)
        {
            await RefuseAsync(http, StatusCodes.Status502BadGateway, ex.Message);
            return StatusCodes.Status502BadGateway;
        }
        var error = await forwarder.SendAsync(http, upstream.DestinationPrefix, upstream.Invoker, Streaming, new EnginePathTransformer(enginePath));
        if (error is not ForwarderError.None and not ForwarderError.RequestCanceled and not ForwarderError.ResponseBodyCanceled)
        {
            upstreams.Failed(cluster);
            logger.LogWarning(http.Features.Get<IForwarderErrorFeature>()?.Exception, "Docker API: forwarding {Method} {Path} to cluster {Cluster} failed: {Error}", http.Request.Method, enginePath, cluster, error);
        }
        return http.Response.StatusCode;
    }

    /// <summary>A list, read whole from the engine and answered with only what the caller may see.</summary>
    private async Task ForwardFilteredAsync(HttpContext http, string cluster, string enginePath, Core.Model.ResourceKind kind, ClusterVisibility visibility)
    {
        if (await SendAsync(http, cluster, HttpMethod.Get, enginePath, null) is not { } response)
        {
            return;
        }
        using var answered = response;
        AnswerWith(http, response);
        var content = await response.Content.ReadAsStringAsync(http.RequestAborted);
        if (!response.IsSuccessStatusCode || JsonNode.Parse(content) is not JsonArray items)
        {
            http.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            await http.Response.WriteAsync(content, http.RequestAborted);
            return;
        }
        var state = store.GetState(cluster)!;
        var visible = new JsonArray([.. items.OfType<JsonObject>().Where(item => EngineAuthorization.Visible(item, kind, state, visibility)).Select(item => item.DeepClone())]);
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(visible.ToJsonString(), http.RequestAborted);
    }

    /// <summary>The engine's status and the headers the CLI negotiates with, for an answer ControlPlane writes itself.</summary>
    private static void AnswerWith(HttpContext http, HttpResponseMessage response)
    {
        http.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers)
        {
            if (header.Key is "Api-Version" or "Docker-Experimental" or "Ostype" or "OSType" or "Server")
            {
                http.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }
    }

    /// <summary>
    /// The engine's events, passed on one by one as they come, keeping only those of objects the caller may see: a stack
    /// user's <c>docker events</c>, and the event stream <c>docker service ps</c> and a non-detached <c>service create</c> follow.
    /// </summary>
    private async Task ForwardEventsAsync(HttpContext http, string cluster, string enginePath, ClusterVisibility visibility)
    {
        if (await SendAsync(http, cluster, HttpMethod.Get, enginePath, null) is not { } response)
        {
            return;
        }
        using var answered = response;
        AnswerWith(http, response);
        http.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "application/json";
        await using var events = await response.Content.ReadAsStreamAsync(http.RequestAborted);
        if (!response.IsSuccessStatusCode)
        {
            await events.CopyToAsync(http.Response.Body, http.RequestAborted);
            return;
        }
        await http.Response.StartAsync(http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
        using var lines = new StreamReader(events);
        try
        {
            while (await lines.ReadLineAsync(http.RequestAborted) is { } line)
            {
                if (ParseObject(System.Text.Encoding.UTF8.GetBytes(line)) is { } message && EngineAuthorization.VisibleEvent(message, store.GetState(cluster)!, visibility))
                {
                    await http.Response.WriteAsync(line + "\n", http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                }
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The CLI stopped following.
        }
    }

    /// <summary><c>docker info</c> for a caller who sees only some stacks: what the CLI needs, not the engine's details.</summary>
    private async Task ForwardInfoAsync(HttpContext http, string cluster, string enginePath)
    {
        if (await SendAsync(http, cluster, HttpMethod.Get, enginePath, null) is not { } response)
        {
            return;
        }
        using var answered = response;
        AnswerWith(http, response);
        var content = await response.Content.ReadAsByteArrayAsync(http.RequestAborted);
        http.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        if (response.IsSuccessStatusCode && ParseObject(content) is { } info)
        {
            http.Response.ContentType = "application/json";
            await http.Response.WriteAsync(EngineAuthorization.ForStackUsers(info).ToJsonString(), http.RequestAborted);
            return;
        }
        await http.Response.Body.WriteAsync(content, http.RequestAborted);
    }

    /// <summary>Sends the request to the engine's own path: the cluster prefix off, the API version and query kept.</summary>
    private sealed class EnginePathTransformer(string enginePath) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = new Uri(destinationPrefix + new PathString(enginePath).ToUriComponent() + httpContext.Request.QueryString.Value);
            proxyRequest.Headers.Host = null;
        }

        public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
        {
            var proceed = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
            // A streamed answer (no length: events, logs -f, a container's wait) sends its headers now, as the engine did:
            // the CLI waits for them (docker attach waits for the wait's) before the first event, which may be long in coming.
            if (proceed && proxyResponse?.Content.Headers.ContentLength is null && !httpContext.Response.HasStarted)
            {
                // Kestrel's StartAsync only writes the headers into its buffer; the flush sends them.
                await httpContext.Response.StartAsync(cancellationToken);
                await httpContext.Response.Body.FlushAsync(cancellationToken);
            }
            return proceed;
        }
    }
}
