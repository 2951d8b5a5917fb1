using System.Globalization;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// Checks a Compose tree against <see cref="ComposeSchema"/> and reports every problem (the CLI stops at the most
/// specific one): a wrong type, an unknown key with the nearest known key, a missing required key, a duplicate item.
/// </summary>
internal static class SchemaValidator
{
    // The CLI refuses these before anything else ("Compose file contains unsupported options"), with these reasons.
    private static readonly Dictionary<string, string> Forbidden = new(StringComparer.Ordinal)
    {
        ["extends"] = "Support for `extends` is not implemented yet.",
        ["volume_driver"] = "Instead of setting the volume driver on the service, define a volume using the top-level `volumes` option and specify the driver there.",
        ["volumes_from"] = "To share a volume between services, define it using the top-level `volumes` option and reference it from each service that shares it using the service-level `volumes` option.",
        ["cpu_quota"] = "Set resource limits using deploy.resources",
        ["cpu_shares"] = "Set resource limits using deploy.resources",
        ["cpuset"] = "Set resource limits using deploy.resources",
        ["mem_limit"] = "Set resource limits using deploy.resources",
        ["memswap_limit"] = "Set resource limits using deploy.resources",
    };

    public static void Validate(ComposeNode node, SchemaRule rule, string path, ComposeProblems problems)
    {
        switch (rule)
        {
            case AnyRule:
                return;
            case ScalarRule scalar:
                ValidateScalar(node, scalar, path, problems);
                return;
            case ListRule list:
                ValidateList(node, list, path, problems);
                return;
            case MapRule map:
                ValidateMap(node, map, path, problems);
                return;
            case OneOfRule oneOf:
                ValidateOneOf(node, oneOf, path, problems);
                return;
        }
    }

    private static void ValidateScalar(ComposeNode node, ScalarRule rule, string path, ComposeProblems problems)
    {
        if (node is not ScalarNode scalar || !Accepts(rule, scalar))
        {
            problems.Add(node, path, $"must be {Describe(rule)}, not {Article(node)}");
            return;
        }
        if (rule.Duration && !GoDuration.TryParse((string)scalar.Value!, out _))
        {
            problems.Add(node, path, $"\"{scalar.Value}\" is not a duration; write it as Go does, such as 10s, 1m30s or 500ms");
        }
        if (rule.Enum is { } allowed && !allowed.Contains((string)scalar.Value!))
        {
            problems.Add(node, path, $"must be one of {string.Join(", ", allowed)}");
        }
        if (rule.Minimum is { } minimum && scalar.Value is long number && number < minimum)
        {
            problems.Add(node, path, $"must be at least {minimum}");
        }
    }

    private static bool Accepts(ScalarRule rule, ScalarNode scalar) =>
        rule.Kinds.Contains(scalar.Kind)
        // JSON Schema counts 2.0 as an integer.
        || (scalar.Kind == ScalarKind.Float && rule.Kinds.Contains(ScalarKind.Int) && scalar.Value is double d && d == Math.Floor(d) && !double.IsInfinity(d));

    private static void ValidateList(ComposeNode node, ListRule rule, string path, ComposeProblems problems)
    {
        if (node is not ListNode list)
        {
            problems.Add(node, path, $"must be a list, not {Article(node)}");
            return;
        }
        var seen = new HashSet<(ScalarKind, string)>();
        for (var i = 0; i < list.Items.Count; i++)
        {
            var item = list.Items[i];
            var itemPath = $"{path}.{i.ToString(CultureInfo.InvariantCulture)}";
            Validate(item, rule.Items, itemPath, problems);
            if (rule.Unique && item is ScalarNode scalar && !seen.Add((scalar.Kind, Convert.ToString(scalar.Value, CultureInfo.InvariantCulture) ?? "")))
            {
                problems.Add(item, itemPath, $"\"{scalar.Text}\" is listed twice; items must be unique");
            }
        }
    }

    private static void ValidateMap(ComposeNode node, MapRule rule, string path, ComposeProblems problems)
    {
        if (rule.Nullable && node is ScalarNode { Kind: ScalarKind.Null })
        {
            return;
        }
        if (node is not MapNode map)
        {
            problems.Add(node, path, $"must be a mapping, not {Article(node)}");
            return;
        }
        foreach (var (keyNode, value) in map.Entries)
        {
            var key = keyNode.Text;
            var keyPath = path.Length == 0 ? key : $"{path}.{key}";
            if (rule.Properties.TryGetValue(key, out var property))
            {
                Validate(value, property, keyPath, problems);
            }
            else if (rule.Extensions && key.StartsWith("x-", StringComparison.Ordinal))
            {
                // Extension fields are for the author's own use (anchors); docker ignores them, and so do we.
            }
            else if (rule.Pattern is { } pattern && pattern.Pattern.IsMatch(key))
            {
                Validate(value, pattern.Rule, keyPath, problems);
            }
            else if (rule.OtherKeys)
            {
                // The schema allows any key here (the CLI ignores unknown ones).
            }
            else if (Forbidden.TryGetValue(key, out var reason) && path.StartsWith("services.", StringComparison.Ordinal) && path.Count(c => c == '.') == 1)
            {
                problems.Add(keyNode, keyPath, $"docker stack deploy refuses {key}: {reason}");
            }
            else if (rule.Pattern is { } named && rule.Properties.Count == 0)
            {
                problems.Add(keyNode, keyPath, $"\"{key}\" is not a valid {named.What}: use letters, digits, '.', '_' and '-'");
            }
            else
            {
                var suggestion = KeySuggestion.Nearest(key, rule.Properties.Keys);
                problems.Add(keyNode, keyPath, suggestion is null
                    ? $"unknown key {key}; allowed here: {string.Join(", ", rule.Properties.Keys.Order(StringComparer.Ordinal))}"
                    : $"unknown key {key}; did you mean {suggestion}?");
            }
        }
        foreach (var required in rule.Required ?? [])
        {
            if (!map.Has(required))
            {
                problems.Add(map, path.Length == 0 ? required : $"{path}.{required}", $"{required} is required here");
            }
        }
    }

    private static void ValidateOneOf(ComposeNode node, OneOfRule rule, string path, ComposeProblems problems)
    {
        var shaped = new List<SchemaRule>();
        foreach (var choice in rule.Choices)
        {
            var trial = new ComposeProblems();
            Validate(node, choice, path, trial);
            if (!trial.Any)
            {
                return;
            }
            if (SameShape(node, choice))
            {
                shaped.Add(choice);
            }
        }
        if (shaped.Count == 1)
        {
            Validate(node, shaped[0], path, problems);
            return;
        }
        var kinds = rule.Choices.Select(Describe).Distinct().ToList();
        var expected = kinds.Count == 1 ? kinds[0] : $"{string.Join(", ", kinds.Take(kinds.Count - 1))} or {kinds[^1]}";
        problems.Add(node, path, $"must be {expected}, not {Article(node)}");
    }

    private static bool SameShape(ComposeNode node, SchemaRule rule) => (node, rule) switch
    {
        (MapNode, MapRule) => true,
        (ListNode, ListRule) => true,
        (ScalarNode { Kind: ScalarKind.Null }, MapRule { Nullable: true }) => true,
        (ScalarNode scalar, ScalarRule scalarRule) => Accepts(scalarRule, scalar),
        _ => false,
    };

    private static string Describe(SchemaRule rule) => rule switch
    {
        MapRule => "a mapping",
        ListRule => "a list",
        ScalarRule scalar => string.Join(" or ", scalar.Kinds.Select(k => k switch
        {
            ScalarKind.String => "a string",
            ScalarKind.Int => "an integer",
            ScalarKind.Float => "a number",
            ScalarKind.Bool => "a boolean (true or false)",
            _ => "null",
        }).Distinct()),
        _ => "something else",
    };

    private static string Article(ComposeNode node) => node switch
    {
        MapNode => "a mapping",
        ListNode => "a list",
        ScalarNode { Kind: ScalarKind.Null } => "empty",
        ScalarNode { Kind: ScalarKind.Int } scalar => $"the integer {scalar.Text}",
        ScalarNode { Kind: ScalarKind.Float } scalar => $"the number {scalar.Text}",
        ScalarNode { Kind: ScalarKind.Bool } scalar => $"the boolean {scalar.Text}",
        ScalarNode scalar => $"the string \"{scalar.Value}\"",
        _ => "something else",
    };
}
