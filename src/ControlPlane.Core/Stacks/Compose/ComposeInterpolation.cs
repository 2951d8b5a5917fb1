using System.Globalization;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// Interpolates every string value of a Compose file (keys are left alone) from the caller's variables only, then
/// casts the values at the paths where the CLI casts them (replicas, ports, booleans...) when a substitution changed
/// them. Problems keep the position of the value in the source.
/// </summary>
/// <remarks>
/// The docker CLI replaces an unset variable with an empty string and only logs a warning. ControlPlane refuses it:
/// a stack deployed with a silently empty image tag or replica count is worse than a 400 that names the line.
/// </remarks>
internal static class ComposeInterpolation
{
    private enum Cast
    {
        Int,
        Float,
        Bool,
    }

    // The CLI's interpolateTypeCastMapping: "*" matches any key, "[]" any list item.
    private static readonly (string[] Path, Cast Cast)[] Casts =
    [
        (S("configs", "[]", "mode"), Cast.Int),
        (S("secrets", "[]", "mode"), Cast.Int),
        (S("healthcheck", "retries"), Cast.Int),
        (S("healthcheck", "disable"), Cast.Bool),
        (S("deploy", "replicas"), Cast.Int),
        (S("deploy", "update_config", "parallelism"), Cast.Int),
        (S("deploy", "update_config", "max_failure_ratio"), Cast.Float),
        (S("deploy", "rollback_config", "parallelism"), Cast.Int),
        (S("deploy", "rollback_config", "max_failure_ratio"), Cast.Float),
        (S("deploy", "restart_policy", "max_attempts"), Cast.Int),
        (S("deploy", "placement", "max_replicas_per_node"), Cast.Int),
        (S("ports", "[]", "target"), Cast.Int),
        (S("ports", "[]", "published"), Cast.Int),
        (S("ulimits", "*"), Cast.Int),
        (S("ulimits", "*", "hard"), Cast.Int),
        (S("ulimits", "*", "soft"), Cast.Int),
        (S("privileged"), Cast.Bool),
        (S("read_only"), Cast.Bool),
        (S("stdin_open"), Cast.Bool),
        (S("tty"), Cast.Bool),
        (S("volumes", "[]", "read_only"), Cast.Bool),
        (S("volumes", "[]", "volume", "nocopy"), Cast.Bool),
        (["networks", "*", "external"], Cast.Bool),
        (["networks", "*", "internal"], Cast.Bool),
        (["networks", "*", "attachable"], Cast.Bool),
        (["volumes", "*", "external"], Cast.Bool),
        (["secrets", "*", "external"], Cast.Bool),
        (["configs", "*", "external"], Cast.Bool),
    ];

    public static void Apply(MapNode root, IReadOnlyDictionary<string, string> variables, ComposeProblems problems)
    {
        foreach (var entry in root.Entries.ToList())
        {
            var value = Visit(entry.Value, [entry.Key.Text], [entry.Key.Text], variables, problems);
            if (!ReferenceEquals(value, entry.Value))
            {
                root.Set(entry.Key, value);
            }
        }
    }

    // path matches the cast table ("[]" for a list item); display is the dotted key of a problem (with the item's index).
    private static ComposeNode Visit(ComposeNode node, List<string> path, List<string> display, IReadOnlyDictionary<string, string> variables, ComposeProblems problems)
    {
        switch (node)
        {
            case MapNode map:
                foreach (var entry in map.Entries.ToList())
                {
                    path.Add(entry.Key.Text);
                    display.Add(entry.Key.Text);
                    var value = Visit(entry.Value, path, display, variables, problems);
                    path.RemoveAt(path.Count - 1);
                    display.RemoveAt(display.Count - 1);
                    if (!ReferenceEquals(value, entry.Value))
                    {
                        map.Set(entry.Key, value);
                    }
                }
                return map;
            case ListNode list:
                path.Add("[]");
                for (var i = 0; i < list.Items.Count; i++)
                {
                    display.Add(i.ToString(CultureInfo.InvariantCulture));
                    list.Items[i] = Visit(list.Items[i], path, display, variables, problems);
                    display.RemoveAt(display.Count - 1);
                }
                path.RemoveAt(path.Count - 1);
                return list;
            case ScalarNode { Kind: ScalarKind.String } scalar:
                return Substitute(scalar, path, string.Join('.', display), variables, problems);
            default:
                return node;
        }
    }

    private static ScalarNode Substitute(ScalarNode scalar, List<string> path, string key, IReadOnlyDictionary<string, string> variables, ComposeProblems problems)
    {
        var text = (string)scalar.Value!;
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return scalar;
        }
        var result = VariableTemplate.Substitute(text, variables);
        if (result.Error is not null)
        {
            problems.Add(scalar, key, result.Error);
            return scalar;
        }
        foreach (var name in result.Undefined.Distinct())
        {
            problems.Add(scalar, key, $"the variable {name} is not set: give it a value, or a default with ${{{name}:-default}}");
        }
        if (result.Text == text)
        {
            return scalar;
        }
        var cast = Casts.FirstOrDefault(c => Matches(c.Path, path));
        if (cast.Path is null)
        {
            return scalar.With(ScalarKind.String, result.Text);
        }
        var value = result.Text;
        switch (cast.Cast)
        {
            case Cast.Int when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number):
                return scalar.With(ScalarKind.Int, number);
            case Cast.Float when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var real):
                return scalar.With(ScalarKind.Float, real);
            case Cast.Bool when value.ToLowerInvariant() is "y" or "yes" or "true" or "on":
                return scalar.With(ScalarKind.Bool, true);
            case Cast.Bool when value.ToLowerInvariant() is "n" or "no" or "false" or "off":
                return scalar.With(ScalarKind.Bool, false);
        }
        var expected = cast.Cast switch { Cast.Int => "an integer", Cast.Float => "a number", _ => "a boolean" };
        problems.Add(scalar, key, $"the value after interpolation, \"{value}\", must be {expected}");
        return scalar;
    }

    private static bool Matches(string[] pattern, List<string> path) =>
        pattern.Length == path.Count && pattern.Select((part, i) => part == "*" || part == path[i]).All(m => m);

    private static string[] S(params string[] rest) => ["services", "*", .. rest];
}
