namespace ControlPlane.Data;

/// <summary>Which database ControlPlane keeps its own data in.</summary>
public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>The <c>ControlPlane:Database</c> section.</summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "ControlPlane:Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Empty with SQLite: a file <c>controlplane.db</c> next to the app.</summary>
    public string? ConnectionString { get; set; }
}
