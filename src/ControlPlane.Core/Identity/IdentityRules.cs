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

    /// <summary>
    /// What is wrong with a token's name, or null when it is fine: free text, but no control characters (PostgreSQL
    /// refuses a NUL in text, and a line break would forge lines in a list).
    /// </summary>
    public static string? ValidateTokenName(string? name) => name switch
    {
        _ when string.IsNullOrWhiteSpace(name) || name.Length > 100 => "A token needs a name of 1 to 100 characters, e.g. 'ci-deploy'.",
        _ when name.Any(char.IsControl) => "A token's name may not hold control characters.",
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

    public const string EntraUserPrefix = "entra:";

    /// <summary>
    /// The grant subject of one Entra user: <c>entra:&lt;tenant id&gt;/&lt;object id&gt;</c>. Both ids are fixed for the
    /// life of the account, unlike <c>preferred_username</c>, which an administrator may change or give to someone else.
    /// Null when either id is not a GUID.
    /// </summary>
    public static string? EntraUserSubject(string? tenantId, string? objectId) =>
        Guid.TryParse(tenantId, out var tenant) && Guid.TryParse(objectId, out var user) ? $"{EntraUserPrefix}{tenant:D}/{user:D}" : null;

    /// <summary>Whether a grant subject names one Entra user by tenant and object id (as written by <see cref="EntraUserSubject"/>).</summary>
    public static bool IsEntraUser(string subject) =>
        subject.StartsWith(EntraUserPrefix, StringComparison.Ordinal)
        && subject[EntraUserPrefix.Length..].Split('/') is [var tenant, var user]
        && EntraUserSubject(tenant, user) == subject;

    /// <summary>
    /// An Entra user subject in the one form sign-in builds (lower-case GUIDs, any case of the prefix), so a grant typed
    /// with upper-case ids still matches; any other subject as it is.
    /// </summary>
    public static string CanonicalSubject(string subject) =>
        subject.StartsWith(EntraUserPrefix, StringComparison.OrdinalIgnoreCase)
        && subject[EntraUserPrefix.Length..].Split('/') is [var tenant, var user]
        && EntraUserSubject(tenant, user) is { } canonical
            ? canonical
            : subject;

    /// <summary>Whether a grant subject names an identity kept outside ControlPlane (an Entra group or user) rather than a local account.</summary>
    public static bool IsExternal(string subject) => IsGroup(subject) || IsEntraUser(subject);
}
