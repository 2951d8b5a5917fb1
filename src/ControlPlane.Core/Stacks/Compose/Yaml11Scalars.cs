using System.Globalization;
using System.Text.RegularExpressions;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>
/// Resolves a plain (unquoted) scalar the way the docker CLI's YAML reader (gopkg.in/yaml.v2, YAML 1.1) does:
/// <c>yes</c>/<c>no</c>/<c>on</c>/<c>off</c> are booleans, <c>0440</c> is octal, <c>0x1F</c> hexadecimal, <c>~</c>
/// null, and anything else that Go's number parsers refuse stays a string (timestamps included).
/// </summary>
internal static partial class Yaml11Scalars
{
    public static (ScalarKind Kind, object? Value) Resolve(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return (ScalarKind.Null, null);
            case "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON":
                return (ScalarKind.Bool, true);
            case "n" or "N" or "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF":
                return (ScalarKind.Bool, false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return (ScalarKind.Float, double.PositiveInfinity);
            case "-.inf" or "-.Inf" or "-.INF":
                return (ScalarKind.Float, double.NegativeInfinity);
            case ".nan" or ".NaN" or ".NAN":
                return (ScalarKind.Float, double.NaN);
        }
        var first = text[0];
        if (first is not ('+' or '-' or '.') && !char.IsAsciiDigit(first))
        {
            return (ScalarKind.String, text);
        }
        var plain = text.Replace("_", "", StringComparison.Ordinal);
        if (GoParseInt(plain) is { } integer)
        {
            return (ScalarKind.Int, integer);
        }
        if (YamlFloat().IsMatch(plain) && double.TryParse(plain, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return (ScalarKind.Float, number);
        }
        return (ScalarKind.String, text);
    }

    /// <summary>Go's <c>strconv.ParseInt(s, 0, 64)</c>: an optional sign, then 0x, 0o, 0b or a leading 0 (octal) or decimal.</summary>
    private static long? GoParseInt(string s)
    {
        var negative = false;
        if (s.Length > 0 && s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s.Length == 0)
        {
            return null;
        }
        int radix = 10;
        if (s.Length > 1 && s[0] == '0')
        {
            switch (char.ToLowerInvariant(s[1]))
            {
                case 'x': radix = 16; s = s[2..]; break;
                case 'o': radix = 8; s = s[2..]; break;
                case 'b': radix = 2; s = s[2..]; break;
                default: radix = 8; s = s[1..]; break;
            }
            if (s.Length == 0)
            {
                return null;
            }
        }
        ulong value = 0;
        foreach (var c in s)
        {
            var digit = char.IsAsciiDigit(c) ? c - '0' : char.IsAsciiLetter(c) ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
            if (digit >= radix)
            {
                return null;
            }
            if (value > (ulong.MaxValue - (ulong)digit) / (ulong)radix)
            {
                return null;
            }
            value = value * (ulong)radix + (ulong)digit;
        }
        if (negative ? value > 9223372036854775808UL : value > long.MaxValue)
        {
            return null;
        }
        return negative ? (long)(0 - value) : (long)value;
    }

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex YamlFloat();
}
