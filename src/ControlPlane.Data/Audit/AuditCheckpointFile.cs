using System.Text.Json;
using ControlPlane.Core.Audit;

namespace ControlPlane.Data.Audit;

/// <summary>The last signed checkpoint, as JSON in a file outside the database; replaced atomically.</summary>
public sealed class AuditCheckpointFile(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Path => path;

    public AuditCheckpoint? Read() =>
        File.Exists(path) ? JsonSerializer.Deserialize<AuditCheckpoint>(File.ReadAllText(path), Json) : null;

    public void Write(AuditCheckpoint checkpoint)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(checkpoint, Json));
        File.Move(temporary, path, overwrite: true);
    }
}
