using System.Text.Json;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Data.Operations;

/// <summary>Operations in the database, so that they survive a restart and any replica can answer for them.</summary>
public sealed class OperationStore(IServiceScopeFactory scopes, TimeProvider time) : IOperationStore
{
    /// <summary>A running operation not updated for this long belongs to a ControlPlane that stopped without ending it.</summary>
    public static readonly TimeSpan AbandonedAfter = TimeSpan.FromMinutes(10);

    /// <summary>The lease an operation's owner renews: <c>ChangeLocks.LeaseName(OperationRunner.OwnerKey(id))</c>.</summary>
    private static readonly string OwnerLeasePrefix = Core.Changes.ChangeLocks.LeaseName(Core.Operations.OperationRunner.OwnerKey(""));

    private static readonly JsonSerializerOptions StepJson = new(JsonSerializerDefaults.Web);

    public async Task SaveAsync(Operation operation, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        var row = await db.Operations.FindAsync([operation.Id], cancellationToken);
        if (row is null)
        {
            db.Operations.Add(ToRow(operation));
        }
        else
        {
            db.Entry(row).CurrentValues.SetValues(ToRow(operation));
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<Operation?> FindAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        var row = await db.Operations.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        return row is null ? null : ToOperation(row);
    }

    public async Task<IReadOnlyList<Operation>> ListAsync(OperationQuery query, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        var rows = db.Operations.AsNoTracking();
        if (query.ClusterId is { } cluster)
        {
            rows = rows.Where(o => o.ClusterId == cluster);
        }
        if (query.Kind is { } kind)
        {
            rows = rows.Where(o => o.Kind == kind);
        }
        if (query.Target is { } target)
        {
            rows = rows.Where(o => o.Target == target);
        }
        if (query.State is { } state)
        {
            rows = rows.Where(o => o.State == state);
        }
        var found = await rows.OrderByDescending(o => o.CreatedAtMs).Take(Math.Clamp(query.Limit, 1, 1000)).ToListAsync(cancellationToken);
        return found.Select(ToOperation).ToList();
    }

    /// <summary>
    /// Marks as failed the operations still "running" that nobody has updated for <see cref="AbandonedAfter"/>:
    /// the ControlPlane running them stopped without recording their end (a crash, a kill).
    /// </summary>
    public async Task<int> FailAbandonedAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var before = now - (long)AbandonedAfter.TotalMilliseconds;
        var owned = (await db.Leases.AsNoTracking()
                .Where(l => l.Name.StartsWith(OwnerLeasePrefix) && l.ExpiresAtMs > now)
                .Select(l => l.Name).ToListAsync(cancellationToken))
            .Select(name => name[OwnerLeasePrefix.Length..]).ToList();
        return await db.Operations
            .Where(o => (o.State == OperationStates.Running || o.State == OperationStates.Pending) && o.UpdatedAtMs < before)
            // A quiet operation whose owner still renews its lease (a rotation in its grace period) is alive on another replica.
            .Where(o => !owned.Contains(o.Id))
            .ExecuteUpdateAsync(set => set
                .SetProperty(o => o.State, OperationStates.Failed)
                .SetProperty(o => o.Error, "ControlPlane stopped while the operation ran; check the cluster before starting it again.")
                .SetProperty(o => o.FinishedAtMs, now)
                .SetProperty(o => o.UpdatedAtMs, now), cancellationToken);
    }

    private static OperationRow ToRow(Operation operation) => new()
    {
        Id = operation.Id,
        Kind = operation.Kind,
        ClusterId = operation.ClusterId,
        Target = operation.Target,
        Stack = operation.Stack,
        Actor = operation.Actor,
        Permission = operation.Permission,
        State = operation.State,
        Done = operation.Progress.Done,
        Total = operation.Progress.Total,
        Error = operation.Error,
        Parameters = operation.Parameters,
        Steps = JsonSerializer.Serialize(operation.Steps.ToList(), StepJson),
        CreatedAtMs = operation.CreatedAt.ToUnixTimeMilliseconds(),
        UpdatedAtMs = operation.UpdatedAt.ToUnixTimeMilliseconds(),
        FinishedAtMs = operation.FinishedAt?.ToUnixTimeMilliseconds(),
    };

    private static Operation ToOperation(OperationRow row) => new(
        row.Id, row.Kind, row.ClusterId, row.Target, row.Stack, row.Actor, row.State,
        new OperationProgress(row.Done, row.Total),
        ValueList<OperationStep>.From(JsonSerializer.Deserialize<List<OperationStep>>(row.Steps, StepJson)),
        row.Error,
        DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAtMs),
        DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAtMs),
        row.FinishedAtMs is { } finished ? DateTimeOffset.FromUnixTimeMilliseconds(finished) : null)
    {
        Parameters = row.Parameters,
        Permission = row.Permission,
    };
}
