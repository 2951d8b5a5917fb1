using ControlPlane.Web.Tests.Infrastructure;
using Npgsql;

namespace ControlPlane.Web.Tests.Replicas;

/// <summary>
/// A fresh PostgreSQL database (on the server tests/postgres.sh starts, from CONTROLPLANE_TEST_POSTGRES) and an audit
/// key shared by every replica started on it, as a replicated deployment shares both (DESIGN §8).
/// </summary>
public sealed class ReplicaDatabase : IAsyncLifetime
{
    private readonly string _name = $"cp_replicas_{Guid.NewGuid():N}";
    private readonly string _auditDirectory = Path.Combine(Path.GetTempPath(), $"controlplane-replicas-audit-{Guid.NewGuid():N}");
    private string _server = "";

    public string ConnectionString => new NpgsqlConnectionStringBuilder(_server) { Database = _name }.ConnectionString;

    public async Task InitializeAsync()
    {
        _server = Environment.GetEnvironmentVariable("CONTROLPLANE_TEST_POSTGRES") is { Length: > 0 } server
            ? server
            : throw new InvalidOperationException(
                "CONTROLPLANE_TEST_POSTGRES is not set. Replica tests run several hosts on one PostgreSQL: use tests/run.sh, " +
                "or eval \"$(tests/postgres.sh up)\" and export it.");
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {_name}", admin);
        await create.ExecuteNonQueryAsync();
    }

    /// <summary>A ControlPlane replica on this database; <paramref name="settings"/> add to the shared ones (clusters, say).</summary>
    public ReplicaAppFactory Replica(IReadOnlyDictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?>(settings)
        {
            ["ControlPlane:Database:Provider"] = "Postgres",
            ["ControlPlane:Database:ConnectionString"] = ConnectionString,
            ["ControlPlane:Audit:KeyFile"] = Path.Combine(_auditDirectory, "audit.key"),
        };
        return new ReplicaAppFactory(all);
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
        if (Directory.Exists(_auditDirectory))
        {
            Directory.Delete(_auditDirectory, recursive: true);
        }
    }
}

/// <summary>One ControlPlane replica in memory; its database and audit key are those of its <see cref="ReplicaDatabase"/>.</summary>
public sealed class ReplicaAppFactory(IReadOnlyDictionary<string, string?> settings) : ControlPlaneAppFactory(settings)
{
    /// <summary>Starts the host (the factory starts it lazily, on first use).</summary>
    public ReplicaAppFactory Started()
    {
        _ = Services;
        return this;
    }
}
