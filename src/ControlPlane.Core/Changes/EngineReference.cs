using System.Text.RegularExpressions;

namespace ControlPlane.Core.Changes;

/// <summary>
/// Docker's grammar for the ids and names a caller may put into an Engine API path (services, containers,
/// nodes, secrets, configs, networks): a letter or digit, then letters, digits, '_', '.' or '-'. Docker.DotNet
/// puts such values into the path as they are, so anything else ("../", "%2F", a NUL) must never get there.
/// </summary>
public static partial class EngineReference
{
    /// <summary>Longer than any id (64) or name Docker accepts (63 for a hostname label, 64 for an object name).</summary>
    public const int MaxLength = 128;

    public static bool IsValid(string? value) => value is { Length: > 0 and <= MaxLength } && Grammar().IsMatch(value);

    /// <summary>The value, or an <see cref="InvalidEngineReferenceException"/> saying what is wrong with it.</summary>
    public static string Check(string? value, string what)
    {
        if (IsValid(value))
        {
            return value!;
        }
        var reason = value switch
        {
            null or "" => "is empty",
            { Length: > MaxLength } => $"is {value.Length} characters long; at most {MaxLength} are allowed",
            _ => "may hold only letters, digits, '_', '.' and '-', and must start with a letter or a digit",
        };
        throw new InvalidEngineReferenceException($"The {what} {reason}.");
    }

    /// <summary>The value checked and escaped as one path segment, for Engine API paths built by hand.</summary>
    public static string Segment(string? value, string what) => Uri.EscapeDataString(Check(value, what));

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Grammar();
}

/// <summary>A caller's id or name that does not follow Docker's grammar, refused before it reached the engine.</summary>
public sealed class InvalidEngineReferenceException(string message) : ArgumentException(message);
