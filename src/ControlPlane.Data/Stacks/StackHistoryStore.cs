using System.Text.Json;
using ControlPlane.Core.Stacks;
using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Data.Stacks;

/// <summary>Stack deploys in the database, so a stack's file and its earlier ones outlive a restart and any replica reads them.</summary>
public sealed class StackHistoryStore(IServiceScopeFactory scopes) : IStackHistory
{
    public async Task<StackDeployment> AddAsync(StackDeployment deployment, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        var row = new StackDeploymentRow
        {
            ClusterId = deployment.ClusterId,
            Stack = deployment.Stack,
            Compose = deployment.Compose,
            Variables = JsonSerializer.Serialize(deployment.Variables),
            Prune = deployment.Prune,
            DeployedBy = deployment.DeployedBy,
            DeployedAtMs = deployment.DeployedAt.ToUnixTimeMilliseconds(),
            OperationId = deployment.OperationId,
            Result = deployment.Result,
        };
        db.StackDeployments.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return ToDeployment(row);
    }

    public async Task SetResultAsync(long id, string result, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        await db.StackDeployments.Where(d => d.Id == id).ExecuteUpdateAsync(set => set.SetProperty(d => d.Result, result), cancellationToken);
    }

    public async Task<StackDeployment?> FindAsync(string clusterId, long id, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        var row = await db.StackDeployments.AsNoTracking().FirstOrDefaultAsync(d => d.Id == id && d.ClusterId == clusterId, cancellationToken);
        return row is null ? null : ToDeployment(row);
    }

    public async Task<IReadOnlyList<StackDeployment>> ListAsync(string clusterId, string stack, int limit = 100, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        var rows = await db.StackDeployments.AsNoTracking()
            .Where(d => d.ClusterId == clusterId && d.Stack == stack)
            .OrderByDescending(d => d.Id)
            .Take(Math.Clamp(limit, 1, 1000))
            .ToListAsync(cancellationToken);
        return rows.Select(ToDeployment).ToList();
    }

    public async Task<IReadOnlyList<StackDeployment>> LatestAsync(string clusterId, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        var succeeded = db.StackDeployments.AsNoTracking().Where(d => d.ClusterId == clusterId && d.Result == StackDeployResults.Succeeded);
        var newest = succeeded.GroupBy(d => d.Stack).Select(g => g.Max(d => d.Id));
        var rows = await succeeded.Where(d => newest.Contains(d.Id)).ToListAsync(cancellationToken);
        return rows.Select(ToDeployment).ToList();
    }

    private static StackDeployment ToDeployment(StackDeploymentRow row) => new(
        row.Id, row.ClusterId, row.Stack, row.Compose,
        JsonSerializer.Deserialize<Dictionary<string, string>>(row.Variables) ?? [],
        row.Prune, row.DeployedBy, DateTimeOffset.FromUnixTimeMilliseconds(row.DeployedAtMs), row.OperationId, row.Result);
}
