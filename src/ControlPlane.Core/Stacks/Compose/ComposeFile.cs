namespace ControlPlane.Core.Stacks.Compose;

/// <summary>One Compose file being converted: its stack, variables, checked tree, and what its services use.</summary>
internal sealed class ComposeFile(string stack, MapNode root, IReadOnlyDictionary<string, string> variables)
{
    private readonly List<PlannedReference> references = [];

    public string Stack { get; } = stack;

    public MapNode Root { get; } = root;

    public IReadOnlyDictionary<string, string> Variables { get; } = variables;

    public MapNode? Networks => Root.Map("networks");

    public MapNode? Volumes => Root.Map("volumes");

    public MapNode? Secrets => Root.Map("secrets");

    public MapNode? Configs => Root.Map("configs");

    /// <summary>The networks some service attaches to, by their key in the file ("default" included when used).</summary>
    public SortedSet<string> UsedNetworks { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<PlannedReference> References => references;

    /// <summary>Records an outside object the stack uses, once, at its definition in the file.</summary>
    public void Reference(ReferenceKind kind, string name, ComposeNode? at, string key)
    {
        if (!references.Any(r => r.Kind == kind && r.Name == name))
        {
            references.Add(new PlannedReference(kind, name, at?.Line ?? 0, at?.Column ?? 0, key));
        }
    }

    /// <summary>
    /// The name an external object (network, volume, secret, config) has on the swarm: its <c>name</c>, else the
    /// deprecated <c>external.name</c>, else its key, as the CLI's loader settles it.
    /// </summary>
    public static string ExternalName(string key, MapNode? definition) =>
        definition.Str("name") is { Length: > 0 } name ? name
        : definition.Map("external").Str("name") is { Length: > 0 } externalName ? externalName
        : key;

    public static bool IsExternal(MapNode? definition) =>
        definition?["external"] switch
        {
            ScalarNode { Value: true } => true,
            MapNode => true,
            _ => false,
        };
}
