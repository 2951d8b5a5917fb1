using System.Text.RegularExpressions;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Secrets;

/// <summary>
/// Secret families (DESIGN §4): a family is a logical secret; each version is a Docker secret named
/// <c>&lt;family&gt;.v&lt;N&gt;</c>, labelled with its family and version, because Docker secrets cannot change in place.
/// </summary>
public static partial class SecretFamily
{
    /// <summary>Docker refuses secrets over 500 KB.</summary>
    public const int MaxValueBytes = 500 * 1024;

    /// <summary>Docker's limit on object names, which the version suffix must fit in too.</summary>
    private const int MaxNameLength = 64;

    public static string VersionName(string family, int version) => $"{family}.v{version}";

    /// <summary>Who created a version (a user, or the scheduled rotation).</summary>
    public const string CreatedByLabel = "controlplane.created-by";

    public static Dictionary<string, string> Labels(string family, int version, string? createdBy = null)
    {
        var labels = new Dictionary<string, string>
        {
            [FileObjectList.FamilyLabel] = family,
            [FileObjectList.VersionLabel] = version.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (createdBy is not null)
        {
            labels[CreatedByLabel] = createdBy;
        }
        return labels;
    }

    /// <summary>What is wrong with a family name, in words a user understands; null when Docker will take it.</summary>
    public static string? ValidateName(string? family) => family switch
    {
        null or "" => "A family name is required, e.g. db-password.",
        { Length: > MaxNameLength - 5 } => $"A family name has at most {MaxNameLength - 5} characters (its versions add '.vN').",
        _ when !ValidName().IsMatch(family) => "A family name may hold letters, digits, '-', '_' and '.', and must start and end with a letter or digit.",
        _ => null,
    };

    /// <summary>What is wrong with a value; null when it can be stored. The value itself never appears in the message.</summary>
    public static string? ValidateValue(ReadOnlySpan<byte> value) => value.Length switch
    {
        0 => "The value is empty; a secret needs at least one byte.",
        > MaxValueBytes => $"The value is {value.Length / 1024} KB; Docker keeps secrets of at most 500 KB.",
        _ => null,
    };

    [GeneratedRegex("^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]*[a-zA-Z0-9])?$")]
    private static partial Regex ValidName();
}
