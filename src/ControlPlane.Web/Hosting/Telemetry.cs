using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Core.Telemetry;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Authorization;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ControlPlane.Web.Hosting;

/// <summary>
/// OpenTelemetry for ControlPlane: <c>/metrics</c> in Prometheus' format (the framework's own ASP.NET Core, Kestrel,
/// SignalR, Blazor circuit and runtime meters, plus ControlPlane's), and traces of operations, Engine API calls
/// and requests sent over OTLP when an endpoint is configured.
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";

    /// <summary>The scrape token a Prometheus server sends as <c>Authorization: Bearer …</c>; empty means only Admins' API tokens.</summary>
    public const string TokenSetting = "ControlPlane:Metrics:Token";

    public const string OtlpEndpointSetting = "ControlPlane:Telemetry:OtlpEndpoint";

    /// <summary>.NET's built-in meters that tell how the web host, its connections, circuits and runtime are doing.</summary>
    private static readonly string[] FrameworkMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Http.Connections",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
        "Microsoft.AspNetCore.Authentication",
        "Microsoft.AspNetCore.Authorization",
        "Microsoft.AspNetCore.Components",
        "Microsoft.AspNetCore.Components.Lifecycle",
        "Microsoft.AspNetCore.Components.Server.Circuits",
        "System.Runtime",
        "System.Net.Http",
    ];

    public static IServiceCollection AddControlPlaneTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ClusterGauges>();
        var own = configuration[OtlpEndpointSetting];
        var otlp = string.IsNullOrWhiteSpace(own) ? configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] : own;
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("controlplane", serviceInstanceId: Environment.MachineName))
            .WithMetrics(metrics => metrics
                .AddMeter(ControlPlaneTelemetry.Name)
                .AddMeter(FrameworkMeters)
                .AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(otlp))
        {
            if (!Uri.TryCreate(otlp, UriKind.Absolute, out var endpoint))
            {
                throw new InvalidOperationException($"{OtlpEndpointSetting} (or OTEL_EXPORTER_OTLP_ENDPOINT) '{otlp}' is not an absolute URL such as http://collector:4317.");
            }
            telemetry.WithTracing(tracing => tracing
                .AddSource(ControlPlaneTelemetry.Name)
                // ASP.NET Core's own request activities (.NET 10 emits them without an instrumentation package).
                .AddSource("Microsoft.AspNetCore")
                // The standard variables alone are OpenTelemetry's to read (it adds /v1/traces for http/protobuf);
                // ControlPlane's own setting is the exporter's URL as given.
                .AddOtlpExporter(otlpOptions =>
                {
                    if (!string.IsNullOrWhiteSpace(own))
                    {
                        otlpOptions.Endpoint = endpoint;
                    }
                }));
        }
        return services;
    }

    /// <summary>
    /// Maps <c>/metrics</c>. Open to the routing's fallback policy on purpose (a Prometheus server has no session):
    /// <see cref="CheckScraperAsync"/> lets through only the scrape token or an Admin's API token.
    /// </summary>
    public static IEndpointConventionBuilder MapMetricsEndpoint(this WebApplication app)
    {
        // Created now, so the cluster gauges exist before the first scrape asks for them.
        app.Services.GetRequiredService<ClusterGauges>();
        return app.MapPrometheusScrapingEndpoint(MetricsPath, meterProvider: null,
                configureBranchedPipeline: branch => branch.Use(CheckScraperAsync), optionsName: null)
            .AllowAnonymous();
    }

    private static async Task CheckScraperAsync(HttpContext http, Func<Task> next)
    {
        var configured = http.RequestServices.GetRequiredService<IConfiguration>()[TokenSetting];
        if (!string.IsNullOrEmpty(configured) && BearerOf(http.Request) is { } presented && SameSecret(presented, configured))
        {
            await next();
            return;
        }
        if (http.User.Identity?.IsAuthenticated != true)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        // Metrics name every cluster and its counts, so they are for Admins of everything, and by API token only:
        // a scraper is automation, never a browser session that a page could ride.
        var caller = await http.RequestServices.GetRequiredService<AccessControl>().CallerAsync(http.User, http.ClientAddress(), http.RequestAborted);
        if (!caller.ByApiToken || !caller.Grants.Any(g => g.Role == Role.Admin && g.Scope == AccessScope.Everywhere))
        {
            http.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        await next();
    }

    private static string? BearerOf(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
    }

    /// <summary>Compares hashes in constant time, so neither the token's content nor its length leaks through timing.</summary>
    internal static bool SameSecret(string presented, string configured) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(configured)));
}

/// <summary>
/// Per-cluster gauges read from the store at each scrape: how the watcher sees the cluster, and its nodes, services
/// and tasks by state. Observed, not counted, so they cannot drift from the picture the pages show.
/// </summary>
public sealed class ClusterGauges
{
    public ClusterGauges(IMeterFactory meters, ClusterStateStore store)
    {
        var meter = meters.Create(ControlPlaneTelemetry.Name);
        meter.CreateObservableGauge("controlplane.cluster.watcher.status", () => Status(store),
            description: "1 for the watcher's current status of each cluster (connecting, synced, degraded, unreachable), 0 for the others.");
        meter.CreateObservableGauge("controlplane.cluster.nodes", () => Count(store, state => state.Nodes.Select(n => n.State)),
            description: "Nodes by state (ready, down, …).");
        meter.CreateObservableGauge("controlplane.cluster.services", () => Count(store, state => state.Services.Select(ServiceState)),
            description: "Services by state: converged, degraded (fewer running than desired) or updating.");
        meter.CreateObservableGauge("controlplane.cluster.tasks", () => Count(store, state => state.Tasks.Select(t => t.State)),
            description: "Tasks by state (running, failed, shutdown, …).");
    }

    private static IEnumerable<Measurement<int>> Status(ClusterStateStore store) =>
        from cluster in store.Clusters
        from status in Enum.GetValues<ClusterStatus>()
        select new Measurement<int>(cluster.Status == status ? 1 : 0,
            new("cluster", cluster.Id), new("status", status.ToString().ToLowerInvariant()));

    private static IEnumerable<Measurement<int>> Count(ClusterStateStore store, Func<ClusterState, IEnumerable<string>> states)
    {
        foreach (var cluster in store.Clusters)
        {
            if (store.GetState(cluster.Id) is not { } state)
            {
                continue;
            }
            foreach (var group in states(state).GroupBy(s => s, StringComparer.Ordinal))
            {
                yield return new Measurement<int>(group.Count(), new("cluster", cluster.Id), new("state", group.Key));
            }
        }
    }

    private static string ServiceState(ClusterService service) =>
        service.IsUpdating ? "updating" : service.ReplicasDesired is { } desired && service.ReplicasRunning < desired ? "degraded" : "converged";
}
