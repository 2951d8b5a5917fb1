namespace ControlPlane.Core.Identity;

/// <summary>What a user name, a password and an API token look like, for the stores and the pages alike.</summary>
public static class IdentityRules
{
    public const int MinPasswordLength = 12;

    public const int MaxUserNameLength = 100;

    /// <summary>Every ControlPlane token starts so; it tells our tokens from Entra's JWTs and makes leaked ones easy to scan for.</summary>
    public const string TokenPrefix = "cpt_";

    /// <summary>The longest life a token may be given, in days.</summary>
    public const int MaxTokenDays = 365;

    public static readonly string TooLongUserName = $"A user name has at most {MaxUserNameLength} characters.";

    /// <summary>What is wrong with a user name, or null when it is fine.</summary>
    public static string? ValidateUserName(string? userName) => userName switch
    {
        null or "" => "A user name is required.",
        { Length: > MaxUserNameLength } => TooLongUserName,
        _ when userName.Any(c => !(char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or '@')) => "A user name may hold letters, digits and . - _ @ only.",
        _ => null,
    };

    /// <summary>What is wrong with a password, or null when it is fine.</summary>
    public static string? ValidatePassword(string? password) => password switch
    {
        null or "" => "A password is required.",
        { Length: < MinPasswordLength } => $"A password has at least {MinPasswordLength} characters.",
        { Length: > 256 } => "A password has at most 256 characters.",
        _ => null,
    };

    /// <summary>Whether a grant subject names an Entra group rather than a local user.</summary>
    public static bool IsGroup(string subject) => subject.StartsWith("group:", StringComparison.Ordinal);
}
