namespace ControlPlane.Data.Audit;

/// <summary>The <c>ControlPlane:Audit</c> section: where the key that seals the audit chain and its checkpoints live.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "ControlPlane:Audit";

    /// <summary>
    /// The key file, outside the database (a Docker secret works). Empty: <c>audit.key</c> next to the app.
    /// Generated on first start when absent. Several replicas must share one.
    /// </summary>
    public string? KeyFile { get; set; }

    /// <summary>Where signed checkpoints are written; must be writable. Empty: <c>audit-checkpoint.json</c> next to the key file.</summary>
    public string? CheckpointFile { get; set; }

    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromMinutes(10);

    public string KeyPath => string.IsNullOrWhiteSpace(KeyFile) ? Path.Combine(AppContext.BaseDirectory, "audit.key") : Path.GetFullPath(KeyFile);

    public string CheckpointPath => string.IsNullOrWhiteSpace(CheckpointFile)
        ? Path.Combine(Path.GetDirectoryName(KeyPath) ?? AppContext.BaseDirectory, "audit-checkpoint.json")
        : Path.GetFullPath(CheckpointFile);
}
