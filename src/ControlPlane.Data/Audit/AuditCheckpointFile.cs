using System.Text.Json;
using ControlPlane.Core.Audit;

namespace ControlPlane.Data.Audit;

/// <summary>The last signed checkpoint, as JSON in a file outside the database; replaced atomically.</summary>
public sealed class AuditCheckpointFile(string path)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public string Path => path;

    /// <summary>Null when there is no file yet; a file that is not a checkpoint is an error that names it.</summary>
    public AuditCheckpoint? Read()
    {
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize<AuditCheckpoint>(File.ReadAllText(path), Json) is { LastHash: not null, Signature: not null } checkpoint
                ? checkpoint
                : throw new InvalidDataException($"The audit checkpoint file {path} does not hold a checkpoint.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The audit checkpoint file {path} cannot be read: {e.Message}", e);
        }
    }

    public void Write(AuditCheckpoint checkpoint)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        // A name of its own: replicas sharing one volume must not write into each other's temporary file.
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(checkpoint, Json));
        File.Move(temporary, path, overwrite: true);
    }
}
