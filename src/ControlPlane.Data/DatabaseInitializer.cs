using ControlPlane.Data.Identity;
using ControlPlane.Data.Operations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ControlPlane.Data;

/// <summary>Creates the database on first start, applies pending migrations and creates the first admin, before the app serves requests.</summary>
public sealed class DatabaseInitializer(IServiceScopeFactory scopes, IOptions<BootstrapOptions> bootstrap, OperationStore operations, ILogger<DatabaseInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
        logger.LogInformation("Database ready ({Provider})", db.Database.ProviderName);
        await scope.ServiceProvider.GetRequiredService<BootstrapAdmin>().EnsureAsync(bootstrap.Value, cancellationToken);
        if (await operations.FailAbandonedAsync(cancellationToken) is > 0 and var abandoned)
        {
            logger.LogWarning("{Count} operation(s) were left running by a ControlPlane that stopped; marked failed", abandoned);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
