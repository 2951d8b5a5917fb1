using ControlPlane.Data.Entities;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace ControlPlane.Data;

/// <summary>
/// ControlPlane's own database. Each provider has a subclass so that each keeps its own migrations
/// (Migrations/Sqlite, Migrations/Postgres); code depends on this base type only. It also keeps the
/// data-protection keys, so that every replica can read the cookies and antiforgery tokens of the others.
/// </summary>
public abstract class ControlPlaneDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<MetricSample> MetricSamples => Set<MetricSample>();

    public DbSet<UserAccount> Users => Set<UserAccount>();

    public DbSet<GrantRecord> Grants => Set<GrantRecord>();

    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();

    public DbSet<AuditRow> AuditLog => Set<AuditRow>();

    public DbSet<OperationRow> Operations => Set<OperationRow>();

    public DbSet<LeaseRow> Leases => Set<LeaseRow>();

    public DbSet<StackDeploymentRow> StackDeployments => Set<StackDeploymentRow>();

    public DbSet<ClientBundleRow> ClientBundles => Set<ClientBundleRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<MetricSample>(sample =>
        {
            sample.Property(s => s.ClusterId).HasMaxLength(100);
            sample.HasIndex(s => new { s.ClusterId, s.UnixSeconds });
        });
        modelBuilder.Entity<UserAccount>(user =>
        {
            user.Property(u => u.UserName).HasMaxLength(200);
            user.Property(u => u.SecurityStamp).HasMaxLength(64);
            user.HasIndex(u => u.UserName).IsUnique();
        });
        modelBuilder.Entity<GrantRecord>(grant =>
        {
            grant.Property(g => g.Subject).HasMaxLength(200);
            grant.Property(g => g.Role).HasConversion<string>().HasMaxLength(20);
            grant.Property(g => g.Cluster).HasMaxLength(100);
            grant.Property(g => g.Stack).HasMaxLength(200);
            grant.Property(g => g.CreatedBy).HasMaxLength(200);
            grant.HasIndex(g => g.Subject);
        });
        modelBuilder.Entity<ApiToken>(token =>
        {
            token.Property(t => t.Name).HasMaxLength(200);
            token.Property(t => t.TokenHash).HasMaxLength(64);
            token.Property(t => t.Prefix).HasMaxLength(16);
            token.HasIndex(t => t.TokenHash).IsUnique();
            token.HasIndex(t => t.UserId);
        });
        modelBuilder.Entity<AuditRow>(audit =>
        {
            audit.ToTable("AuditLog");
            audit.Property(a => a.Id).ValueGeneratedNever();
            audit.Property(a => a.Actor).HasMaxLength(200);
            audit.Property(a => a.Action).HasMaxLength(100);
            audit.Property(a => a.Target).HasMaxLength(500);
            audit.Property(a => a.Result).HasConversion<string>().HasMaxLength(20);
            audit.Property(a => a.ClientAddress).HasMaxLength(100);
            audit.Property(a => a.PreviousHash).HasMaxLength(64);
            audit.Property(a => a.Hash).HasMaxLength(64);
            audit.HasIndex(a => a.UnixMilliseconds);
            audit.HasIndex(a => a.Actor);
        });
        modelBuilder.Entity<OperationRow>(operation =>
        {
            operation.Property(o => o.Id).HasMaxLength(32);
            operation.Property(o => o.Kind).HasMaxLength(100);
            operation.Property(o => o.ClusterId).HasMaxLength(100);
            operation.Property(o => o.Target).HasMaxLength(500);
            operation.Property(o => o.Stack).HasMaxLength(200);
            operation.Property(o => o.Actor).HasMaxLength(200);
            operation.Property(o => o.Permission).HasMaxLength(100);
            operation.Property(o => o.State).HasMaxLength(20);
            operation.HasIndex(o => o.CreatedAtMs);
            operation.HasIndex(o => new { o.ClusterId, o.Kind, o.Target });
            operation.HasIndex(o => o.State);
        });
        modelBuilder.Entity<LeaseRow>(lease =>
        {
            lease.HasKey(l => l.Name);
            lease.Property(l => l.Name).HasMaxLength(100);
            lease.Property(l => l.Holder).HasMaxLength(200);
        });
        modelBuilder.Entity<StackDeploymentRow>(deployment =>
        {
            deployment.Property(d => d.ClusterId).HasMaxLength(100);
            deployment.Property(d => d.Stack).HasMaxLength(200);
            deployment.Property(d => d.DeployedBy).HasMaxLength(200);
            deployment.Property(d => d.OperationId).HasMaxLength(32);
            deployment.Property(d => d.Result).HasMaxLength(20);
            deployment.HasIndex(d => new { d.ClusterId, d.Stack, d.Id });
        });
        modelBuilder.Entity<ClientBundleRow>(bundle =>
        {
            bundle.Property(b => b.UserName).HasMaxLength(200);
            bundle.Property(b => b.Name).HasMaxLength(64);
            bundle.Property(b => b.Serial).HasMaxLength(64);
            bundle.HasIndex(b => b.Serial).IsUnique();
            bundle.HasIndex(b => b.UserId);
        });
    }
}

/// <summary>The SQLite flavour (the default: a file next to the app).</summary>
public sealed class SqliteControlPlaneDbContext(DbContextOptions<SqliteControlPlaneDbContext> options) : ControlPlaneDbContext(options);

/// <summary>The PostgreSQL flavour (for several replicas).</summary>
public sealed class PostgresControlPlaneDbContext(DbContextOptions<PostgresControlPlaneDbContext> options) : ControlPlaneDbContext(options);
