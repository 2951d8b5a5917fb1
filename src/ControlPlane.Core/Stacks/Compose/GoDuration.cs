using System.Globalization;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>Go's <c>time.ParseDuration</c>: "300ms", "1m30s", "-1.5h", "0"; the result in nanoseconds, as the Engine API takes durations.</summary>
internal static class GoDuration
{
    private static readonly (string Unit, decimal Nanoseconds)[] Units =
    [
        ("ns", 1m), ("us", 1_000m), ("µs", 1_000m), ("μs", 1_000m), ("ms", 1_000_000m), ("s", 1_000_000_000m),
        ("m", 60_000_000_000m), ("h", 3_600_000_000_000m),
    ];

    public static bool TryParse(string text, out long nanoseconds)
    {
        nanoseconds = 0;
        var s = text;
        var negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s == "0")
        {
            return true;
        }
        if (s.Length == 0)
        {
            return false;
        }
        decimal total = 0;
        while (s.Length > 0)
        {
            var i = 0;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }
            var number = s[..i];
            if (number.Length == 0 || number == "." || number.Count(c => c == '.') > 1
                || !decimal.TryParse(number.StartsWith('.') ? "0" + number : number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }
            s = s[i..];
            var j = 0;
            while (j < s.Length && !char.IsAsciiDigit(s[j]) && s[j] != '.')
            {
                j++;
            }
            var unit = s[..j];
            s = s[j..];
            var match = Units.FirstOrDefault(u => u.Unit == unit);
            if (match.Unit is null)
            {
                return false;
            }
            try
            {
                total += decimal.Truncate(value * match.Nanoseconds);
            }
            catch (OverflowException)
            {
                return false;
            }
            if (total > long.MaxValue)
            {
                return false;
            }
        }
        nanoseconds = negative ? -(long)total : (long)total;
        return true;
    }
}
