using ControlPlane.Core.DockerApi;
using ControlPlane.Data.Audit;
using ControlPlane.Docker.Forwarding;
using Microsoft.Extensions.Options;

namespace ControlPlane.Web.DockerApi;

/// <summary>The Docker API endpoint and client bundles (DESIGN §10) in one registration.</summary>
public static class DockerApiServiceCollectionExtensions
{
    public static IServiceCollection AddControlPlaneDockerApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DockerApiOptions>().Bind(configuration.GetSection(DockerApiOptions.SectionName));
        services.AddSingleton(sp =>
        {
            var configured = sp.GetRequiredService<IOptions<DockerApiOptions>>().Value.CaFile;
            var path = string.IsNullOrWhiteSpace(configured)
                ? Path.Combine(Path.GetDirectoryName(sp.GetRequiredService<IOptions<AuditOptions>>().Value.KeyPath) ?? AppContext.BaseDirectory, "user-ca.pem")
                : Path.GetFullPath(configured);
            return UserCertificateAuthority.LoadOrCreate(path, sp.GetRequiredService<ILoggerFactory>().CreateLogger<UserCertificateAuthority>());
        });
        services.AddSingleton<IClientCertificateIssuer>(sp => sp.GetRequiredService<UserCertificateAuthority>());
        services.AddSingleton<ClientBundleCommands>();
        services.AddHttpForwarder();
        services.AddSingleton<EngineUpstreams>();
        services.AddSingleton<DockerApiCallers>();
        services.AddSingleton<ExecRecords>();
        services.AddSingleton<DockerApiHandler>();
        services.AddSingleton<DockerApiServer>();
        services.AddHostedService(sp => sp.GetRequiredService<DockerApiServer>());
        return services;
    }
}
