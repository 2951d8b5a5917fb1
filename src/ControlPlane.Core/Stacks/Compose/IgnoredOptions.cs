namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// The service keys <c>docker stack deploy</c> reads but does not apply, with its warnings word for word
/// ("Ignoring unsupported options: …", "Ignoring deprecated options: …").
/// </summary>
internal static class IgnoredOptions
{
    private static readonly string[] Unsupported =
    [
        "build", "cgroupns_mode", "cgroup_parent", "devices", "domainname", "external_links", "ipc", "links",
        "mac_address", "network_mode", "pid", "privileged", "restart", "security_opt", "shm_size", "userns_mode",
    ];

    private static readonly Dictionary<string, string> Deprecated = new(StringComparer.Ordinal)
    {
        ["container_name"] = "Setting the container name is not supported.",
        ["expose"] = "Exposing ports is unnecessary - services on the same network can access each other's containers on any port.",
    };

    public static void Warn(MapNode root, ComposeProblems problems)
    {
        var services = (root.Map("services")?.Entries ?? []).Select(e => e.Value).OfType<MapNode>().ToList();
        var unsupported = Unsupported.Where(key => services.Any(s => s.Has(key))).Order(StringComparer.Ordinal).ToList();
        if (unsupported.Count > 0)
        {
            problems.Warn($"Ignoring unsupported options: {string.Join(", ", unsupported)}");
        }
        var deprecated = Deprecated.Where(d => services.Any(s => s.Has(d.Key))).Select(d => $"{d.Key}: {d.Value}").Order(StringComparer.Ordinal).ToList();
        if (deprecated.Count > 0)
        {
            problems.Warn($"Ignoring deprecated options:\n\n{string.Join("\n\n", deprecated)}");
        }
        foreach (var (name, service) in (root.Map("services")?.Entries ?? []).Where(e => e.Value is MapNode))
        {
            if (((MapNode)service).Has("tmpfs"))
            {
                // Not one of the CLI's warnings: it drops the key silently, which surprises; say so.
                problems.Warn($"services.{name.Text}.tmpfs is ignored by docker stack deploy, and so here; mount a volume of type tmpfs instead");
            }
        }
    }
}
