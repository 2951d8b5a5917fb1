using ControlPlane.Core.Security;
using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Data.Identity;

/// <summary>Stored grants: who holds which role where.</summary>
public sealed class Grants(ControlPlaneDbContext db, TimeProvider time)
{
    public async Task<IReadOnlyList<Grant>> ListAsync(CancellationToken ct = default) =>
        (await db.Grants.AsNoTracking().OrderBy(g => g.Subject).ThenBy(g => g.Id).ToListAsync(ct)).Select(g => g.ToGrant()).ToList();

    /// <summary>The grants of a user and of the groups they belong to.</summary>
    public async Task<IReadOnlyList<Grant>> ForSubjectsAsync(IReadOnlyCollection<string> subjects, CancellationToken ct = default) =>
        (await db.Grants.AsNoTracking().Where(g => subjects.Contains(g.Subject)).ToListAsync(ct)).Select(g => g.ToGrant()).ToList();

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
        db.Grants.Add(record);
        await db.SaveChangesAsync(ct);
        return record.ToGrant();
    }

    /// <summary>Removes a grant and returns it; null when there was none with that id.</summary>
    public async Task<Grant?> RemoveAsync(long id, CancellationToken ct = default)
    {
        var record = await db.Grants.FirstOrDefaultAsync(g => g.Id == id, ct);
        if (record is null)
        {
            return null;
        }
        db.Grants.Remove(record);
        await db.SaveChangesAsync(ct);
        return record.ToGrant();
    }
}
