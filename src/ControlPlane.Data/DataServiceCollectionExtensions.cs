using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Data;

/// <summary>Registers the database with the configured provider.</summary>
public static class DataServiceCollectionExtensions
{
    public static IServiceCollection AddControlPlaneData(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(DatabaseOptions.SectionName).Get<DatabaseOptions>() ?? new DatabaseOptions();
        services.AddDbContext<ControlPlaneDbContext>(db =>
        {
            switch (options.Provider)
            {
                case DatabaseProvider.Postgres when string.IsNullOrWhiteSpace(options.ConnectionString):
                    throw new InvalidOperationException($"{DatabaseOptions.SectionName}:ConnectionString is required when Provider is Postgres.");
                case DatabaseProvider.Postgres:
                    db.UseNpgsql(options.ConnectionString);
                    break;
                default:
                    db.UseSqlite(string.IsNullOrWhiteSpace(options.ConnectionString)
                        ? $"Data Source={Path.Combine(AppContext.BaseDirectory, "controlplane.db")}"
                        : options.ConnectionString);
                    break;
            }
        });
        services.AddHostedService<DatabaseInitializer>();
        return services;
    }
}
