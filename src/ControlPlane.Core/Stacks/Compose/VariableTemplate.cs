using System.Text;
using System.Text.RegularExpressions;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// Substitutes <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c>, <c>${VAR-default}</c>, <c>${VAR:?message}</c>,
/// <c>${VAR?message}</c> and <c>$$</c> in one string with the pattern and the order of rules of the docker CLI's
/// template package (so <c>$VAR-x</c> unbraced takes a default too, as there).
/// </summary>
internal static partial class VariableTemplate
{
    /// <summary>The result: the new text, or the first error; and the variables used that had no value and no default.</summary>
    public sealed record Result(string Text, string? Error, IReadOnlyList<string> Undefined);

    public static Result Substitute(string template, IReadOnlyDictionary<string, string> variables)
    {
        string? error = null;
        var undefined = new List<string>();
        var text = Pattern().Replace(template, match =>
        {
            if (match.Groups["escaped"].Success)
            {
                return "$";
            }
            var substitution = match.Groups["named"].Success ? match.Groups["named"].Value : match.Groups["braced"].Value;
            if (substitution.Length == 0)
            {
                error ??= $"invalid interpolation format \"{template}\"; you may need to escape any $ with another $";
                return "";
            }
            // The CLI tries its rules in this order, each on the first occurrence of its separator.
            if (Partition(substitution, ":-") is var (softName, softDefault))
            {
                return variables.TryGetValue(softName, out var value) && value.Length > 0 ? value : softDefault;
            }
            if (Partition(substitution, "-") is var (hardName, hardDefault))
            {
                return variables.TryGetValue(hardName, out var value) ? value : hardDefault;
            }
            if (Partition(substitution, ":?") is var (requiredName, requiredMessage))
            {
                if (variables.TryGetValue(requiredName, out var value) && value.Length > 0)
                {
                    return value;
                }
                error ??= $"required variable {requiredName} is missing a value: {requiredMessage}";
                return "";
            }
            if (Partition(substitution, "?") is var (name, message))
            {
                if (variables.TryGetValue(name, out var value))
                {
                    return value;
                }
                error ??= $"required variable {name} is missing a value: {message}";
                return "";
            }
            if (variables.TryGetValue(substitution, out var plain))
            {
                return plain;
            }
            undefined.Add(substitution);
            return "";
        });
        return new Result(text, error, undefined);
    }

    private static (string Name, string Tail)? Partition(string s, string separator)
    {
        var at = s.IndexOf(separator, StringComparison.Ordinal);
        return at < 0 ? null : (s[..at], s[(at + separator.Length)..]);
    }

    [GeneratedRegex(@"\$(?i:(?<escaped>\$)|(?<named>[_a-z][_a-z0-9]*(?::?[-?][^}]*)?)|\{(?<braced>[_a-z][_a-z0-9]*(?::?[-?][^}]*)?)\}|(?<invalid>))")]
    private static partial Regex Pattern();
}
