using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ControlPlane.Data;

/// <summary>Lets <c>dotnet ef migrations add … --context SqliteControlPlaneDbContext</c> build the context without the app.</summary>
public sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteControlPlaneDbContext>
{
    public SqliteControlPlaneDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteControlPlaneDbContext>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>Lets <c>dotnet ef migrations add … --context PostgresControlPlaneDbContext</c> build the context without a server.</summary>
public sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresControlPlaneDbContext>
{
    public PostgresControlPlaneDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresControlPlaneDbContext>().UseNpgsql("Host=localhost;Database=controlplane").Options);
}
