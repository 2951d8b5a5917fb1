using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Data.Tests;

/// <summary>A migrated SQLite database in a temporary file, deleted afterwards.</summary>
public sealed class SqliteDatabase : IAsyncLifetime
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"controlplane-test-{Guid.NewGuid():N}.db");

    public ControlPlaneDbContext CreateContext() =>
        new SqliteControlPlaneDbContext(new DbContextOptionsBuilder<SqliteControlPlaneDbContext>().UseSqlite($"Data Source={_path};Pooling=False").Options);

    public async Task InitializeAsync()
    {
        await using var db = CreateContext();
        await db.Database.MigrateAsync();
    }

    public Task DisposeAsync()
    {
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
        return Task.CompletedTask;
    }
}
