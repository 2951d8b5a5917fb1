using ControlPlane.Core.Audit;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Data.Audit;

/// <summary>Reads the audit key from its file, or creates the file (32 random bytes, owner-only) on first start.</summary>
public static class AuditKeyFile
{
    public static AuditKey LoadOrCreate(string path, ILogger logger)
    {
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length < AuditKey.Length)
            {
                throw new InvalidOperationException(
                    $"The audit key file {path} (ControlPlane:Audit:KeyFile) holds {bytes.Length} bytes; it needs at least {AuditKey.Length}, such as 32 random bytes.");
            }
            var key = new AuditKey(bytes);
            logger.LogInformation("Audit records are sealed with the key in {KeyFile}", path);
            return key;
        }
        var created = System.Security.Cryptography.RandomNumberGenerator.GetBytes(AuditKey.Length);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(path, options))
        {
            file.Write(created);
        }
        logger.LogWarning(
            "Generated a new audit key in {KeyFile} (ControlPlane:Audit:KeyFile). Keep it and back it up outside the database: " +
            "without it the audit chain cannot be verified. Several replicas must share one key (a Docker secret).", path);
        return new AuditKey(created);
    }
}
