using ControlPlane.Core.Health;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Data;

/// <summary>Opens a connection in a scope of its own, so singletons and endpoints can ask without holding a context.</summary>
public sealed class DatabaseProbe(IServiceScopeFactory scopes) : IDatabaseProbe
{
    public async Task<bool> CanConnectAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>().Database.CanConnectAsync(cancellationToken);
        }
        catch (Exception)
        {
            return false;
        }
    }
}
