using System.Globalization;
using ControlPlane.Core.Model;

namespace ControlPlane.Core.Secrets;

/// <summary>
/// Scheduled rotation of a family with generated values: every <see cref="EveryDays"/> days, a new value of
/// <see cref="Length"/> characters from <see cref="Alphabet"/>. Kept as labels on the family's newest version
/// (Docker lets labels change), so it needs no table and travels with the family.
/// </summary>
public sealed record RotationPolicy(int EveryDays, int Length, string Alphabet)
{
    public const string EveryDaysLabel = "controlplane.rotate-every-days";
    public const string LengthLabel = "controlplane.generate-length";
    public const string AlphabetLabel = "controlplane.generate-alphabet";

    public static RotationPolicy? From(Labels labels) =>
        int.TryParse(labels.GetValueOrDefault(EveryDaysLabel), NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days > 0
        && int.TryParse(labels.GetValueOrDefault(LengthLabel), NumberStyles.None, CultureInfo.InvariantCulture, out var length)
            ? new RotationPolicy(days, length, labels.GetValueOrDefault(AlphabetLabel) ?? SecretGenerator.DefaultAlphabet)
            : null;

    public IEnumerable<KeyValuePair<string, string>> ToLabels() =>
    [
        new(EveryDaysLabel, EveryDays.ToString(CultureInfo.InvariantCulture)),
        new(LengthLabel, Length.ToString(CultureInfo.InvariantCulture)),
        new(AlphabetLabel, Alphabet),
    ];

    public bool IsDue(DateTimeOffset newestCreatedAt, DateTimeOffset now) => now - newestCreatedAt >= TimeSpan.FromDays(EveryDays);
}
