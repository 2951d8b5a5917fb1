using System.Security.Cryptography;

namespace ControlPlane.Core.Secrets;

/// <summary>Random values for generated secrets, from the OS's cryptographic generator.</summary>
public static class SecretGenerator
{
    public const int MinLength = 8;
    public const int MaxLength = 4096;
    public const string DefaultAlphabet = "alphanumeric";

    /// <summary>The alphabets a generated value may be drawn from, by name.</summary>
    public static readonly IReadOnlyDictionary<string, string> Alphabets = new Dictionary<string, string>
    {
        ["alphanumeric"] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        ["hex"] = "0123456789abcdef",
        ["base64url"] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        ["printable"] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~",
    };

    /// <summary>What is wrong with the request; null when a value can be generated.</summary>
    public static string? Validate(int? length, string? alphabet) =>
        length is null or < MinLength or > MaxLength ? $"A generated value's length must be between {MinLength} and {MaxLength}."
        : !Alphabets.ContainsKey(alphabet ?? DefaultAlphabet) ? $"Unknown alphabet '{alphabet}'; use one of {string.Join(", ", Alphabets.Keys)}."
        : null;

    public static byte[] Generate(int length, string? alphabet) =>
        System.Text.Encoding.ASCII.GetBytes(RandomNumberGenerator.GetString(Alphabets[alphabet ?? DefaultAlphabet], length));
}
