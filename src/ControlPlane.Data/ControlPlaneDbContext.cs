using ControlPlane.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Data;

/// <summary>
/// ControlPlane's own database. Each provider has a subclass so that each keeps its own migrations
/// (Migrations/Sqlite, Migrations/Postgres); code depends on this base type only.
/// </summary>
public abstract class ControlPlaneDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<MetricSample> MetricSamples => Set<MetricSample>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<MetricSample>(sample =>
        {
            sample.Property(s => s.ClusterId).HasMaxLength(100);
            sample.HasIndex(s => new { s.ClusterId, s.UnixSeconds });
        });
    }
}

/// <summary>The SQLite flavour (the default: a file next to the app).</summary>
public sealed class SqliteControlPlaneDbContext(DbContextOptions<SqliteControlPlaneDbContext> options) : ControlPlaneDbContext(options);

/// <summary>The PostgreSQL flavour (for several replicas).</summary>
public sealed class PostgresControlPlaneDbContext(DbContextOptions<PostgresControlPlaneDbContext> options) : ControlPlaneDbContext(options);
