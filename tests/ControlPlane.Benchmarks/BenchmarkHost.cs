using ControlPlane.Web.Hosting;
using Microsoft.AspNetCore.Builder;

namespace ControlPlane.Benchmarks;

/// <summary>The real ControlPlane host every benchmark measures, as Program.cs builds it.</summary>
internal static class BenchmarkHost
{
    /// <summary>
    /// A host on a free port with its own SQLite file, audit key and checkpoint beside it, and a bootstrap admin; the
    /// cluster comes from DOCKER_HOST, as with no configuration. Logs only warnings, so the figures stay readable.
    /// (A key and checkpoint next to the program would outlive the database, and the next run's host would report
    /// its fresh audit log as truncated.)
    /// </summary>
    public static WebApplication Build(string database, string adminPassword, params string[] settings) => ControlPlaneWebApplication.Build([
        "--urls", "http://127.0.0.1:0",
        // Static assets are looked up by application name; the web project's manifest is copied next to this program.
        "--applicationName", "ControlPlane.Web",
        "--environment", "Production",
        "--ControlPlane:Database:Provider=Sqlite",
        $"--ControlPlane:Database:ConnectionString=Data Source={database}",
        "--ControlPlane:Bootstrap:AdminUser=admin",
        $"--ControlPlane:Bootstrap:AdminPassword={adminPassword}",
        $"--ControlPlane:Audit:KeyFile={database}{AuditKeySuffix}",
        $"--ControlPlane:Audit:CheckpointFile={database}{AuditCheckpointSuffix}",
        "--Logging:LogLevel:Default=Warning",
        .. settings,
    ]);

    private const string AuditKeySuffix = ".audit.key";
    private const string AuditCheckpointSuffix = ".audit-checkpoint.json";

    /// <summary>Stops and disposes the host, then deletes its SQLite file (pooled connections hold it open until cleared) and audit files.</summary>
    public static async Task StopAsync(WebApplication app, string database, CancellationToken cancellationToken = default)
    {
        await app.StopAsync(cancellationToken);
        await app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm", AuditKeySuffix, AuditCheckpointSuffix })
        {
            File.Delete(database + suffix);
        }
    }
}
