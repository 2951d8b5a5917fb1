using ControlPlane.Core.DockerApi;
using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Data.Identity;

/// <summary>Client bundles in the database: serial, owner, name and lifetime; never the key.</summary>
public sealed class ClientBundles(IServiceScopeFactory scopes, TimeProvider time) : IClientBundleStore
{
    public async Task<IReadOnlyList<ClientBundleSummary>> ListAsync(long accountId, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var rows = await Db(scope).ClientBundles.AsNoTracking().Where(b => b.UserId == accountId).OrderByDescending(b => b.Id).ToListAsync(ct);
        return rows.Select(Summary).ToList();
    }

    public async Task<ClientBundleSummary> AddAsync(long accountId, string userName, string name, string serial, DateTimeOffset createdAt, DateTimeOffset expiresAt, CancellationToken ct = default)
    {
        var row = new ClientBundleRow
        {
            UserId = accountId, UserName = userName, Name = name, Serial = serial,
            CreatedAtMs = createdAt.ToUnixTimeMilliseconds(), ExpiresAtMs = expiresAt.ToUnixTimeMilliseconds(),
        };
        await using var scope = scopes.CreateAsyncScope();
        var db = Db(scope);
        db.ClientBundles.Add(row);
        await db.SaveChangesAsync(ct);
        return Summary(row);
    }

    public async Task<bool> RevokeAsync(long accountId, long bundleId, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = Db(scope);
        var row = await db.ClientBundles.FirstOrDefaultAsync(b => b.Id == bundleId && b.UserId == accountId, ct);
        if (row is null)
        {
            return false;
        }
        row.RevokedAtMs ??= time.GetUtcNow().ToUnixTimeMilliseconds();
        await db.SaveChangesAsync(ct);
        return true;
    }

    public async Task<BundleHolder?> ActiveAsync(string serial, CancellationToken ct = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = Db(scope);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var row = await db.ClientBundles.AsNoTracking().FirstOrDefaultAsync(b => b.Serial == serial && b.RevokedAtMs == null && b.ExpiresAtMs > now, ct);
        // The account must still exist: deleting a user ends their bundles with it.
        if (row is null || !await db.Users.AsNoTracking().AnyAsync(u => u.Id == row.UserId && u.UserName == row.UserName, ct))
        {
            return null;
        }
        return new BundleHolder(row.UserId, row.UserName, Summary(row));
    }

    private static ClientBundleSummary Summary(ClientBundleRow b) => new(b.Id, b.Name, b.Serial,
        DateTimeOffset.FromUnixTimeMilliseconds(b.CreatedAtMs), DateTimeOffset.FromUnixTimeMilliseconds(b.ExpiresAtMs),
        b.RevokedAtMs is { } revoked ? DateTimeOffset.FromUnixTimeMilliseconds(revoked) : null);

    private static ControlPlaneDbContext Db(AsyncServiceScope scope) => scope.ServiceProvider.GetRequiredService<ControlPlaneDbContext>();
}
