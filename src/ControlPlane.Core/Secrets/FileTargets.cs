namespace ControlPlane.Core.Secrets;

/// <summary>Where a secret or config lands in a container, checked before a service is changed.</summary>
public static class FileTargets
{
    /// <summary>Read-only for everyone, Docker's own default.</summary>
    public const uint DefaultMode = 0x124; // 0444

    /// <summary>What is wrong with a target, in words a user understands; null when Docker will mount it safely.</summary>
    public static string? Validate(string? target, FileObjectKind kind)
    {
        if (string.IsNullOrWhiteSpace(target))
        {
            return "A target file name is required.";
        }
        if (target.Contains('\0') || target.EndsWith('/'))
        {
            return $"'{target}' is not a file name.";
        }
        if (target.Split('/').Any(segment => segment is ".." or "."))
        {
            return $"The target '{target}' may not contain '.' or '..' segments: it must stay inside {FileObjectKinds.Of(kind).MountDirectory}.";
        }
        var facts = FileObjectKinds.Of(kind);
        if (facts.ConfinedToMountDirectory && target.StartsWith('/') && !target.StartsWith(facts.MountDirectory + "/", StringComparison.Ordinal))
        {
            return $"The target '{target}' is outside {facts.MountDirectory}; use a file name, or a path under {facts.MountDirectory}/.";
        }
        return null;
    }

    /// <summary>Where the file will be inside the container.</summary>
    public static string PathOf(string target, FileObjectKind kind) =>
        target.StartsWith('/') ? target : $"{FileObjectKinds.Of(kind).MountDirectory.TrimEnd('/')}/{target}";

    /// <summary>Reads a file mode: a string is octal ("0444", "440"), a number is the mode's value.</summary>
    public static uint? ParseMode(string? octal)
    {
        if (string.IsNullOrWhiteSpace(octal))
        {
            return DefaultMode;
        }
        try
        {
            var mode = Convert.ToUInt32(octal.Trim(), 8);
            return mode <= 0x1FF ? mode : null;
        }
        catch (Exception ex) when (ex is FormatException or OverflowException or ArgumentException)
        {
            return null;
        }
    }

    public static string FormatMode(uint mode) => "0" + Convert.ToString(mode, 8);
}
