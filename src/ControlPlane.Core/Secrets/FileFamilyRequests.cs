namespace ControlPlane.Core.Secrets;

/// <summary>Where a new value comes from: typed or uploaded data (base64), or generated at random.</summary>
public sealed record ValueSource(string? Base64Data, GenerateRequest? Generate)
{
    public static readonly ValueSource None = new(null, null);
}

/// <summary>A generated value's length and alphabet (see <see cref="SecretGenerator.Alphabets"/>).</summary>
public sealed record GenerateRequest(int? Length, string? Alphabet);

/// <summary>A mount of a family in a service: target file, owner and mode (octal text), each with Docker's default when left out.</summary>
public sealed record MountRequest(string? Family, string? Target, string? Uid, string? Gid, string? Mode);
