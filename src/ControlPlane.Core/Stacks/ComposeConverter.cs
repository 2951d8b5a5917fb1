using ControlPlane.Core.Changes;
using ControlPlane.Core.Stacks.Compose;

namespace ControlPlane.Core.Stacks;

/// <summary>The result of reading a Compose file: a plan, or the problems that stop it (never both).</summary>
public sealed record ComposeConversion(StackPlan? Plan, IReadOnlyList<InputProblem> Problems);

/// <summary>
/// Turns a Compose file into the <see cref="StackPlan"/> that <c>docker stack deploy</c> (the docker CLI 20.10) would
/// make of it: read with positions, interpolate, check against the 3.9 schema, convert each service, plan the
/// networks. Every problem found is reported, each with the line, column and dotted key of the source; it never throws.
/// </summary>
public static class ComposeConverter
{
    /// <summary>
    /// stack: the stack name; compose: the YAML text; variables: values for ${VAR} interpolation (no process
    /// environment is read).
    /// </summary>
    public static ComposeConversion Convert(string stack, string compose, IReadOnlyDictionary<string, string> variables)
    {
        ArgumentNullException.ThrowIfNull(stack);
        ArgumentNullException.ThrowIfNull(compose);
        ArgumentNullException.ThrowIfNull(variables);
        var problems = new ComposeProblems();
        try
        {
            return Convert(stack, compose, variables, problems);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A defect here must not become a 500: the file is refused with what is known.
            problems.Add(0, 0, "", $"ControlPlane could not read this file ({ex.GetType().Name}); please report it");
            return new ComposeConversion(null, problems.Sorted());
        }
    }

    private static ComposeConversion Convert(string stack, string compose, IReadOnlyDictionary<string, string> variables, ComposeProblems problems)
    {
        if (StackNames.Refusal(stack) is { } refusal)
        {
            problems.Add(0, 0, "name", $"the stack name {refusal[(refusal.IndexOf(' ') + 1)..]}");
        }
        var root = YamlTreeReader.Read(compose, problems);
        if (root is null)
        {
            return Refused(problems);
        }
        if (root is not MapNode map)
        {
            problems.Add(root, "", "the top level of a Compose file must be a mapping (version, services, networks...)");
            return Refused(problems);
        }
        var version = Version(map, problems);
        IgnoredOptions.Warn(map, problems);
        ComposeInterpolation.Apply(map, variables, problems);
        SchemaValidator.Validate(map, ComposeSchema.File, "", problems);

        var file = new ComposeFile(stack, map, variables);
        TopLevelObjects.Check(file, version ?? "", problems);
        var services = new List<PlannedService>();
        foreach (var (name, definition) in map.Map("services")?.Entries ?? [])
        {
            if (definition is MapNode service && new ServiceConverter(file, problems).Convert(name.Text, name, service) is { } planned)
            {
                services.Add(planned);
            }
        }
        var networks = StackNetworks.Plan(file, problems);
        if (problems.Any)
        {
            return Refused(problems);
        }
        var plan = new StackPlan(stack, networks, services, file.References.OrderBy(r => r.Kind).ThenBy(r => r.Name, StringComparer.Ordinal).ToList(), problems.Warnings);
        return new ComposeConversion(plan, []);
    }

    /// <summary>The file's version, which the CLI requires and reads before anything else: 3 or 3.0 to 3.9.</summary>
    private static string? Version(MapNode root, ComposeProblems problems)
    {
        if (root["version"] is not ScalarNode version)
        {
            if (!root.Has("version"))
            {
                problems.Add(root, "version", "version is required: docker stack deploy reads Compose file versions 3.0 to 3.9 (for example version: \"3.9\")");
            }
            return null;
        }
        var text = version.Kind == ScalarKind.String ? (string)version.Value! : GoValues.Sprint(version.Value);
        if (!ComposeSchema.Versions.Contains(text))
        {
            problems.Add(version, "version", $"unsupported Compose file version: {text} (docker stack deploy reads 3.0 to 3.9)");
        }
        return text;
    }

    private static ComposeConversion Refused(ComposeProblems problems) => new(null, problems.Sorted());
}
