using ControlPlane.Core.Identity;
using ControlPlane.Core.Security;
using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Data.Identity;

/// <summary>Stored grants in the database: who holds which role where.</summary>
public sealed class Grants(IServiceScopeFactory scopes, TimeProvider time) : IGrantStore
{
    public async Task<IReadOnlyList<Grant>> ListAsync(CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var rows = await Db(scope).Grants.AsNoTracking().OrderBy(g => g.Subject).ThenBy(g => g.Id).ToListAsync(ct);
        return rows.Select(g => g.ToGrant()).ToList();
    }

    public async Task<IReadOnlyList<Grant>> ForSubjectsAsync(IReadOnlyCollection<string> subjects, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var rows = await Db(scope).Grants.AsNoTracking().Where(g => subjects.Contains(g.Subject)).ToListAsync(ct);
        return rows.Select(g => g.ToGrant()).ToList();
    }

    public async Task<Grant> AddAsync(string subject, Role role, AccessScope scope, string createdBy, CancellationToken ct = default)
    {
        if (string.IsNullOrWhiteSpace(subject))
        {
            throw new ArgumentException("A grant needs a subject: a user name, or group:<Entra group object id>.");
        }
        if (!scope.IsValid)
        {
            throw new ArgumentException("A stack scope needs its cluster: give scope.cluster as well as scope.stack.");
        }
        var record = new GrantRecord
        {
            Subject = subject.Trim(), Role = role, Cluster = scope.Cluster, Stack = scope.Stack, CreatedAt = time.GetUtcNow(), CreatedBy = createdBy,
        };
        await using var services = scopes.CreateAsyncScope();
        var db = Db(services);
        db.Grants.Add(record);
        await db.SaveChangesAsync(ct);
        return record.ToGrant();
    }

    public async Task<Grant?> RemoveAsync(long id, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = Db(scope);
        var record = await db.Grants.FirstOrDefaultAsync(g => g.Id == id, ct);
        if (record is null)
        {
            return null;
        }
        db.Grants.Remove(record);
        await db.SaveChangesAsync(ct);
        return record.ToGrant();
    }

    private static ControlPlaneDbContext Db(AsyncServiceScope scope) => scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
}
