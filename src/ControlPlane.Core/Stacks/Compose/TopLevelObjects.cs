namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// Checks the top-level networks, volumes, secrets and configs as the CLI's loader does (conflicting external
/// settings, the deprecated external.name), and refuses what ControlPlane cannot do: a secret or config read from a
/// file on the author's machine, or made by a driver.
/// </summary>
internal static class TopLevelObjects
{
    public static void Check(ComposeFile file, string version, ComposeProblems problems)
    {
        foreach (var (key, value) in file.Networks?.Entries ?? [])
        {
            CheckExternalName(value as MapNode, "network", key, version, "3.5", problems);
        }
        foreach (var (key, value) in file.Volumes?.Entries ?? [])
        {
            var volume = value as MapNode;
            if (ComposeFile.IsExternal(volume))
            {
                foreach (var conflicting in new[] { "driver", "driver_opts", "labels" }.Where(k => volume!.Has(k)))
                {
                    problems.Add(volume!.KeyNode(conflicting), $"volumes.{key.Text}.{conflicting}",
                        $"conflicting parameters \"external\" and \"{conflicting}\" specified for volume \"{key.Text}\"");
                }
            }
            CheckExternalName(volume, "volume", key, version, "3.4", problems);
        }
        CheckFileObjects(file.Secrets, FileObjectKind.Secret, version, problems);
        CheckFileObjects(file.Configs, FileObjectKind.Config, version, problems);
    }

    private static void CheckFileObjects(MapNode? definitions, FileObjectKind kind, string version, ComposeProblems problems)
    {
        foreach (var (key, value) in definitions?.Entries ?? [])
        {
            var definition = value as MapNode;
            var path = $"{kind.Key}.{key.Text}";
            if (ComposeFile.IsExternal(definition))
            {
                CheckExternalName(definition, kind.Noun, key, version, "3.5", problems);
                continue;
            }
            if (definition?.KeyNode("file") is { } fileKey)
            {
                problems.Add(fileKey, $"{path}.file",
                    $"file: reads a file on the author's machine, which ControlPlane cannot see; create a {kind.Noun} family on the " +
                    $"{(kind == FileObjectKind.Secret ? "Secrets" : "Configs")} page and name it here with external: true (and name: <family>)");
            }
            else if (definition?.KeyNode("driver") is { } driverKey)
            {
                problems.Add(driverKey, $"{path}.driver",
                    $"a {kind.Noun} made by a driver is not supported by ControlPlane; create a {kind.Noun} family and name it here with external: true");
            }
            else
            {
                problems.Add(key, path, $"a {kind.Noun} needs external: true (ControlPlane reads no files); name an existing {kind.Noun} or a {kind.Noun} family");
            }
        }
    }

    private static void CheckExternalName(MapNode? definition, string noun, ScalarNode key, string version, string deprecatedSince, ComposeProblems problems)
    {
        if (!ComposeFile.IsExternal(definition) || definition.Map("external").Str("name") is not { Length: > 0 })
        {
            return;
        }
        if (definition.Str("name") is { Length: > 0 })
        {
            problems.Add(definition!.KeyNode("external"), $"{noun}s.{key.Text}.external.name",
                $"{noun} {key.Text}: {noun}.external.name and {noun}.name conflict; only use {noun}.name");
        }
        else if (VersionAtLeast(version, deprecatedSince))
        {
            problems.Warn($"{noun} {key.Text}: {noun}.external.name is deprecated in favor of {noun}.name");
        }
    }

    private static bool VersionAtLeast(string version, string minimum) =>
        Version.TryParse(version == "3" ? "3.0" : version, out var v) && v >= Version.Parse(minimum);
}
