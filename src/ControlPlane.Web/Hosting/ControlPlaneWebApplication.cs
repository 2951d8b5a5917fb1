using ControlPlane.Data;
using ControlPlane.Docker;
using ControlPlane.Web.Api;
using ControlPlane.Web.Components;
using ControlPlane.Web.Components.Controls;
using MudBlazor.Services;

namespace ControlPlane.Web.Hosting;

/// <summary>Assembles the ControlPlane web host: services, middleware and endpoints in one place.</summary>
public static class ControlPlaneWebApplication
{
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddControlPlaneServices(builder.Configuration);

        var app = builder.Build();
        app.UseControlPlane();
        return app;
    }

    public static IServiceCollection AddControlPlaneServices(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddControlPlaneClusters(configuration);
        services.AddControlPlaneData(configuration);
        services.AddProblemDetails();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(json =>
            json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase)));
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddScoped<ClusterSelection>();
        return services;
    }

    public static WebApplication UseControlPlane(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
        }
        app.UseStatusCodePages();
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapOpenApi();
        app.MapHealthEndpoints();
        app.MapControlPlaneApi();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
