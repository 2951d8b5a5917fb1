using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ControlPlane.Data.Tests;

/// <summary>A migrated, empty database of one provider for one test class; dropped afterwards.</summary>
public abstract class TestDatabase : IAsyncLifetime
{
    public abstract ControlPlaneDbContext CreateContext();

    /// <summary>A service provider holding this database as the app registers it, for classes that create their own scopes.</summary>
    public IServiceProvider Services { get; private set; } = default!;

    /// <summary>
    /// When set, the database is migrated only up to the migration before the one with this name, as a database from
    /// an earlier release would be (for upgrade tests, which then migrate the rest).
    /// </summary>
    public string? StopBefore { get; init; }

    protected abstract void AddDbContext(IServiceCollection services);

    public virtual async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        AddDbContext(services);
        Services = services.BuildServiceProvider();
        await using var db = CreateContext();
        if (StopBefore is null)
        {
            await db.Database.MigrateAsync();
            return;
        }
        var all = db.Database.GetMigrations().ToList();
        var next = all.FindIndex(m => m.EndsWith($"_{StopBefore}", StringComparison.Ordinal));
        if (next < 1)
        {
            throw new InvalidOperationException($"There is no migration named {StopBefore} after another one: {string.Join(", ", all)}");
        }
        await db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>().MigrateAsync(all[next - 1]);
    }

    public abstract Task DisposeAsync();
}

/// <summary>SQLite in a temporary file.</summary>
public sealed class SqliteDatabase : TestDatabase
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"controlplane-test-{Guid.NewGuid():N}.db");

    private string ConnectionString => $"Data Source={_path};Pooling=False";

    public override ControlPlaneDbContext CreateContext() =>
        new SqliteControlPlaneDbContext(new DbContextOptionsBuilder<SqliteControlPlaneDbContext>().UseSqlite(ConnectionString).Options);

    protected override void AddDbContext(IServiceCollection services) =>
        services.AddDbContext<ControlPlaneDbContext, SqliteControlPlaneDbContext>(db => db.UseSqlite(ConnectionString));

    public override Task DisposeAsync()
    {
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
        return Task.CompletedTask;
    }
}

/// <summary>
/// A fresh database on the real PostgreSQL server that tests/run.sh starts; its connection string
/// (to a database the test user may create databases from) comes from CONTROLPLANE_TEST_POSTGRES.
/// </summary>
public sealed class PostgresDatabase : TestDatabase
{
    private readonly string _name = $"cp_test_{Guid.NewGuid():N}";
    private string _server = "";

    private string ConnectionString => new NpgsqlConnectionStringBuilder(_server) { Database = _name, Pooling = false }.ConnectionString;

    public override ControlPlaneDbContext CreateContext() =>
        new PostgresControlPlaneDbContext(new DbContextOptionsBuilder<PostgresControlPlaneDbContext>().UseNpgsql(ConnectionString).Options);

    protected override void AddDbContext(IServiceCollection services) =>
        services.AddDbContext<ControlPlaneDbContext, PostgresControlPlaneDbContext>(db => db.UseNpgsql(ConnectionString));

    public override async Task InitializeAsync()
    {
        _server = Environment.GetEnvironmentVariable("CONTROLPLANE_TEST_POSTGRES") is { Length: > 0 } server
            ? server
            : throw new InvalidOperationException(
                "CONTROLPLANE_TEST_POSTGRES is not set. The data tests also run against a real PostgreSQL: use tests/run.sh, " +
                "which installs and starts one, or set it to a connection string such as 'Host=127.0.0.1;Username=controlplane;Password=…;Database=postgres'.");
        await using (var admin = new NpgsqlConnection(_server))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
