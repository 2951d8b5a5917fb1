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
using Yarp.ReverseProxy.Forwarder;

namespace ControlPlane.Web.DockerApi;

/// <summary>
/// The Docker API endpoint's whole pipeline (DESIGN §10): the client certificate to its bundle and user, or an API token to
/// its user (revocation and expiry checked on every request), the route to its class, the gate, then the request forwarded to the cluster's
/// current manager, a list filtered to what the caller may see. Only requests to the endpoint's own listener get here.
/// </summary>
public sealed class DockerApiHandler(
    IClientBundleStore bundles, ITokenStore tokens, AccessControl access, ChangeGate gate, ClusterStateStore store, EngineUpstreams upstreams,
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
        var body = call.Route.Access == EngineAccess.Change ? await ReadBodyAsync(http) : null;
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
            if (call.Route is { Access: EngineAccess.List, Kind: { } kind } && !visibility.SeesEverything)
            {
                await ForwardFilteredAsync(http, cluster, enginePath, kind, visibility);
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
            var status = await ForwardAsync(http, cluster, enginePath);
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
        string? userName = null, accountId = null, actor = null;
        Claim[] extra = [];
        if (certificate is not null)
        {
            if (await bundles.ActiveAsync(certificate.SerialNumber, http.RequestAborted) is { } holder)
            {
                (userName, accountId, actor) = (holder.UserName, Invariant(holder.AccountId), $"{holder.UserName} (docker cli, bundle {holder.Bundle.Name})");
            }
        }
        else if (ApiTokenAuthenticationHandler.TokenOf(http.Request) is { } token && await tokens.AuthenticateAsync(token, http.RequestAborted) is var (account, record))
        {
            (userName, accountId, actor) = (account.UserName, Invariant(account.Id), $"{account.UserName} (docker cli, token {record.Name})");
            extra = [new Claim(ControlPlaneClaims.TokenName, record.Name), new Claim(ControlPlaneClaims.TokenId, Invariant(record.Id))];
        }
        if (userName is null)
        {
            var what = certificate is null ? "no client certificate and no live API token" : "the client bundle is revoked or expired, or its user is gone";
            await gate.AuditRefusalAsync($"docker cli, certificate {certificate?.SerialNumber ?? "none"}", $"docker {http.Request.Method} {http.Request.Path}", "ControlPlane",
                http.ClientAddress(), what);
            await RefuseAsync(http, StatusCodes.Status401Unauthorized, certificate is null
                ? "ControlPlane's Docker API needs a client bundle's certificate (DOCKER_CERT_PATH) or an API token as 'Authorization: Bearer cpt_…'."
                : "This client bundle is revoked or expired: download a new one from your account page.");
            return null;
        }
        var principal = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, userName), new Claim(ClaimTypes.NameIdentifier, accountId!), .. extra], "DockerApi"));
        var caller = await access.CallerAsync(principal, http.ClientAddress(), http.RequestAborted);
        return caller with { Actor = actor! };
    }

    private static string Invariant(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The verdict on ControlPlane's picture. An object created a moment ago (a network <c>docker stack deploy</c> has
    /// just made) may not be in the picture yet: a caller who is not allowed on the whole cluster waits for it briefly.
    /// </summary>
    private async Task<EngineVerdict> DecideAsync(EngineCall call, string cluster, ChangeCaller caller, JsonObject? body, CancellationToken ct)
    {
        var verdict = EngineAuthorization.Decide(call, cluster, store.GetState(cluster)!, caller.Grants, body);
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
                verdict = EngineAuthorization.Decide(call, cluster, store.GetState(cluster)!, caller.Grants, body);
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
        EngineUpstream upstream;
        try
        {
            upstream = await upstreams.CurrentAsync(cluster, http.RequestAborted);
        }
        catch (ClusterUnreachableException ex)
        {
            await RefuseAsync(http, StatusCodes.Status502BadGateway, ex.Message);
            return;
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, upstream.DestinationPrefix + new PathString(enginePath).ToUriComponent() + http.Request.QueryString.Value);
        HttpResponseMessage response;
        try
        {
            response = await upstream.Invoker.SendAsync(request, http.RequestAborted);
        }
        catch (HttpRequestException ex)
        {
            upstreams.Failed(cluster);
            await RefuseAsync(http, StatusCodes.Status502BadGateway, $"The cluster's manager did not answer: {ex.Message}");
            return;
        }
        using var answered = response;
        http.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers)
        {
            if (header.Key is "Api-Version" or "Docker-Experimental" or "Ostype" or "OSType" or "Server")
            {
                http.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }
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

    /// <summary>Sends the request to the engine's own path: the cluster prefix off, the API version and query kept.</summary>
    private sealed class EnginePathTransformer(string enginePath) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.RequestUri = new Uri(destinationPrefix + new PathString(enginePath).ToUriComponent() + httpContext.Request.QueryString.Value);
            proxyRequest.Headers.Host = null;
        }
    }
}
