using ControlPlane.Core.Audit;
using ControlPlane.Core.Identity;
using ControlPlane.Core.Leases;
using ControlPlane.Core.Metrics;
using ControlPlane.Core.Operations;
using ControlPlane.Data.Audit;
using ControlPlane.Data.Identity;
using ControlPlane.Data.Leases;
using ControlPlane.Data.Metrics;
using ControlPlane.Data.Operations;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ControlPlane.Data;

/// <summary>Registers the database with the configured provider, its migrations at start, and the metric sampler.</summary>
public static class DataServiceCollectionExtensions
{
    public static IServiceCollection AddControlPlaneData(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>() ?? new DatabaseOptions();
        switch (options.Provider)
        {
            case DatabaseProvider.Postgres when string.IsNullOrWhiteSpace(options.ConnectionString):
                throw new InvalidOperationException($"{DatabaseOptions.SectionName}:ConnectionString is required when Provider is Postgres.");
            case DatabaseProvider.Postgres:
                services.AddDbContext<ControlPlaneDbContext, PostgresControlPlaneDbContext>((sp, db) => db.UseNpgsql(options.ConnectionString).AddInterceptors(sp.GetRequiredService<AccessChangeInterceptor>()));
                break;
            default:
                services.AddDbContext<ControlPlaneDbContext, SqliteControlPlaneDbContext>((sp, db) => db.UseSqlite(SqliteConnectionString(options.ConnectionString)).AddInterceptors(sp.GetRequiredService<AccessChangeInterceptor>()));
                break;
        }
        services.TryAddSingleton<AccessChanges>();
        services.TryAddSingleton<AccessChangeInterceptor>();
        services.AddOptions<BootstrapOptions>().Bind(configuration.GetSection(BootstrapOptions.SectionName));
        services.TryAddSingleton(TimeProvider.System);
        // The identity stores open a database scope per call, so singletons (the gate, the pages' services) can hold them.
        services.AddSingleton<Accounts>();
        services.AddSingleton<IAccountStore>(sp => sp.GetRequiredService<Accounts>());
        services.AddSingleton<Grants>();
        services.AddSingleton<IGrantStore>(sp => sp.GetRequiredService<Grants>());
        services.AddSingleton<IGrantSource>(sp => sp.GetRequiredService<Grants>());
        services.AddSingleton<ITokenStore, Tokens>();
        services.AddSingleton<Core.DockerApi.IClientBundleStore, ClientBundles>();
        services.AddScoped<BootstrapAdmin>();
        services.AddOptions<AuditOptions>().Bind(configuration.GetSection(AuditOptions.SectionName))
            .Validate(o => o.CheckpointInterval > TimeSpan.Zero, $"{AuditOptions.SectionName}:CheckpointInterval must be positive.").ValidateOnStart();
        services.AddSingleton(sp => AuditKeyFile.LoadOrCreate(sp.GetRequiredService<IOptions<AuditOptions>>().Value.KeyPath, sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuditKeyFile))));
        services.AddSingleton(sp => new AuditCheckpointFile(sp.GetRequiredService<IOptions<AuditOptions>>().Value.CheckpointPath));
        services.AddSingleton<AuditLog>();
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<AuditLog>());
        services.AddSingleton<IAuditReader>(sp => sp.GetRequiredService<AuditLog>());
        services.AddSingleton<OperationStore>();
        services.AddSingleton<IOperationStore>(sp => sp.GetRequiredService<OperationStore>());
        services.AddSingleton<ILeaseStore, LeaseStore>();
        services.AddSingleton<Core.Stacks.IStackHistory, Stacks.StackHistoryStore>();
        services.TryAddSingleton<LeaseHolder>();
        services.AddSingleton<Core.Health.IDatabaseProbe, DatabaseProbe>();
        services.AddHostedService<DatabaseInitializer>();
        // After the initializer: the first checkpoint reads the migrated database.
        services.AddHostedService<AuditCheckpointService>();
        // Keys in the shared database: a cookie or antiforgery token issued by one replica is read by any other.
        // Registered after the initializer, whose migrations create the table before the key ring is first read.
        if (!services.AddDataProtection().SetApplicationName("ControlPlane").PersistKeysToDbContext<ControlPlaneDbContext>().ProtectWithConfiguredCertificate(configuration))
        {
            services.AddHostedService<UnprotectedKeysWarning>();
        }
        services.AddScoped<IMetricsRepository, MetricsRepository>();
        services.AddSingleton<IMetricsHistory, MetricsHistory>();
        services.AddHostedService<MetricsSampler>();
        return services;
    }

    /// <summary>Empty means a file <c>controlplane.db</c> next to the app.</summary>
    public static string SqliteConnectionString(string? configured) =>
        string.IsNullOrWhiteSpace(configured)
            ? $"Data Source={Path.Combine(AppContext.BaseDirectory, "controlplane.db")}"
            : configured;
}
