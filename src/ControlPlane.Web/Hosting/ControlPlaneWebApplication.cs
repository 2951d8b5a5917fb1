using ControlPlane.Data;
using ControlPlane.Docker;
using ControlPlane.Web.Api;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Components;
using ControlPlane.Web.Components.Controls;
using ControlPlane.Web.DockerApi;
using ControlPlane.Web.Hubs;
using MudBlazor.Services;

namespace ControlPlane.Web.Hosting;

/// <summary>Assembles the ControlPlane web host: services, middleware and endpoints in one place.</summary>
public static class ControlPlaneWebApplication
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        // Last, after appsettings, environment and command line: any setting "XFile" supplies "X" from that file.
        builder.Configuration.AddSecretFiles();
        builder.Services.AddControlPlaneServices(builder.Configuration);

        var app = builder.Build();
        app.UseControlPlane();
        return app;
    }

    /// <summary>The Redis connection (StackExchange.Redis configuration string, e.g. <c>redis:6379</c>) of the SignalR backplane.</summary>
    public const string RedisSetting = "ControlPlane:SignalR:Redis";

    public static IServiceCollection AddControlPlaneServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddControlPlaneClusters(configuration);
        services.AddControlPlaneData(configuration);
        services.AddControlPlaneAuthentication(configuration);
        services.AddControlPlaneRequestLimits(configuration);
        services.AddControlPlaneForwardedHeaders(configuration);
        services.AddControlPlaneDockerApi(configuration);
        services.AddControlPlaneTelemetry(configuration);
        services.AddProblemDetails();
        services.AddApiFaultBarrier();
        services.AddControlPlaneOpenApi();
        // Enums by name only: the default converter also reads numbers, so a role of 3 would be Admin and 7 a role
        // that does not exist.
        services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase, allowIntegerValues: false)));
        var signalR = services.AddSignalR().AddJsonProtocol(json =>
            json.PayloadSerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase, allowIntegerValues: false)));
        // Several replicas: hub messages sent to a group (an operation's progress) reach its connections on every
        // replica through Redis (DESIGN §8). One replica needs none.
        if (configuration[RedisSetting] is { Length: > 0 } redis)
        {
            signalR.AddStackExchangeRedis(redis, o => o.Configuration.ChannelPrefix = StackExchange.Redis.RedisChannel.Literal("ControlPlane"));
        }
        services.AddHostedService<OperationBroadcast>();
        services.AddSingleton(sp => new ClusterWatchFeeds(sp.GetRequiredService<ControlPlane.Core.State.ClusterStateStore>(), ClusterHub.MinMessageInterval, sp.GetRequiredService<TimeProvider>()));
        services.AddRazorComponents().AddInteractiveServerComponents();
        // After Blazor's own registration, so an open page checks its sign-in again instead of keeping it for life.
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, Authentication.CircuitSessionRevalidation>();
        services.AddMudServices();
        services.AddScoped<ClusterSelection>();
        services.AddScoped<Components.Controls.Clipboard>();
        return services;
    }

    public static WebApplication UseControlPlane(this WebApplication app)
    {
        // First, so everything after it (audit records, the Origin check, HSTS) sees the client behind a trusted proxy.
        app.UseControlPlaneForwardedHeaders(app.Configuration);
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
            app.UseHsts();
        }
        app.UseSecurityHeaders();
        app.UseApiFaultBarrier();
        app.UseApiRequestLimits();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseCrossOriginProtection();
        // After authentication, so that signed-in callers are limited as themselves and anonymous ones by address.
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseAntiforgery();

        // Static files, health and sign-in are open; everything else, the API description too, needs a signed-in caller.
        app.MapStaticAssets().AllowAnonymous();
        app.MapOpenApi();
        app.MapHealthEndpoints();
        app.MapMetricsEndpoint();
        app.MapAccountEndpoints();
        app.MapControlPlaneApi();
        app.MapClientBundleEndpoints();
        app.MapHub<ClusterHub>("/hubs/cluster");
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
