namespace ControlPlane.Core.Stacks.Compose;

/// <summary>A service volume as the CLI's ServiceVolumeConfig holds it, from the short or the long syntax.</summary>
internal sealed record VolumeSpec(
    string Type,
    string Source,
    string Target,
    bool ReadOnly,
    string Consistency = "",
    string? Propagation = null,
    bool? NoCopy = null,
    long? TmpfsSize = null,
    bool HasBind = false,
    bool HasVolume = false,
    bool HasTmpfs = false)
{
    /// <summary>
    /// The short syntax (<c>name:/path:ro</c>, <c>/host:/path</c>, <c>/path</c>) as the CLI's ParseVolume reads it:
    /// a source starting with '.', '/' or '~' is a bind mount, anything else a named volume, no source an anonymous one.
    /// </summary>
    public static VolumeSpec? ParseShort(string spec, out string? error)
    {
        error = null;
        switch (spec.Length)
        {
            case 0:
                error = "an empty volume";
                return null;
            case 1 or 2:
                return new VolumeSpec("volume", "", spec, false);
        }
        string source = "", target = "";
        var readOnly = false;
        string? propagation = null;
        bool? noCopy = null;
        var fields = new List<string>();
        var buffer = new System.Text.StringBuilder();
        foreach (var c in spec)
        {
            if (c == ':' && !(buffer.Length == 1 && char.IsLetter(buffer[0])))
            {
                fields.Add(buffer.ToString());
                buffer.Clear();
            }
            else
            {
                buffer.Append(c);
            }
        }
        fields.Add(buffer.ToString());
        if (fields.Any(f => f.Length == 0))
        {
            error = $"\"{spec}\" has an empty section between colons";
            return null;
        }
        if (fields.Count > 3)
        {
            error = $"\"{spec}\" has too many colons";
            return null;
        }
        if (fields.Count == 1)
        {
            target = fields[0];
        }
        else
        {
            (source, target) = (fields[0], fields[1]);
        }
        if (fields.Count == 3)
        {
            foreach (var option in fields[2].Split(','))
            {
                switch (option)
                {
                    case "ro": readOnly = true; break;
                    case "rw": readOnly = false; break;
                    case "nocopy": noCopy = true; break;
                    case "rprivate" or "private" or "rshared" or "shared" or "rslave" or "slave": propagation = option; break;
                }
            }
        }
        var type = source.Length == 0 ? "volume" : IsFilePath(source) ? "bind" : "volume";
        return new VolumeSpec(type, source, target, readOnly, Propagation: propagation, NoCopy: noCopy,
            HasBind: propagation is not null, HasVolume: noCopy is not null);
    }

    /// <summary>The long syntax (<c>type</c>, <c>source</c>, <c>target</c>, <c>read_only</c>, <c>bind</c>, <c>volume</c>, <c>tmpfs</c>).</summary>
    public static VolumeSpec ReadLong(MapNode map) => new(
        map.Str("type") ?? "",
        map.Str("source") ?? "",
        map.Str("target") ?? "",
        map.Bool("read_only"),
        map.Str("consistency") ?? "",
        Propagation: map.Map("bind").Str("propagation"),
        NoCopy: map.Map("volume") is { } volume ? volume.Bool("nocopy") : null,
        TmpfsSize: map.Map("tmpfs").Long("size"),
        HasBind: map["bind"] is MapNode,
        HasVolume: map["volume"] is MapNode,
        HasTmpfs: map["tmpfs"] is MapNode);

    private static bool IsFilePath(string source) =>
        source[0] is '.' or '/' or '~'
        || (source.Length > 1 && (source.StartsWith(@"\\", StringComparison.Ordinal) || (char.IsLetter(source[0]) && source[1] == ':')));
}
