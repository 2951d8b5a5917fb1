using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;

namespace ControlPlane.Core.Stacks.Compose;

/// <summary>The small parsers and formatters of the Go libraries the CLI uses, so values come out as the CLI makes them.</summary>
internal static partial class GoValues
{
    /// <summary>Go's <c>fmt.Sprint</c> of a YAML value: how the CLI turns numbers and booleans in mappings into strings.</summary>
    public static string Sprint(object? value) => value switch
    {
        null => "<nil>",
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        _ => value.ToString() ?? "",
    };

    /// <summary>Go's <c>%v</c> of a float64: the shortest digits that read back the same, in exponent form below 1e-4 and from 1e6 on.</summary>
    public static string FormatFloat(double value)
    {
        if (double.IsNaN(value))
        {
            return "NaN";
        }
        if (double.IsInfinity(value))
        {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == 0)
        {
            return double.IsNegative(value) ? "-0" : "0";
        }
        // The shortest round-trip digits: "R" gives them, in either fixed or exponent form; normalise to digits + exponent.
        var r = Math.Abs(value).ToString("R", CultureInfo.InvariantCulture);
        var exponentAt = r.IndexOfAny(['E', 'e']);
        var mantissa = exponentAt < 0 ? r : r[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(r[(exponentAt + 1)..], CultureInfo.InvariantCulture);
        var point = mantissa.IndexOf('.');
        var digits = mantissa.Replace(".", "", StringComparison.Ordinal);
        var pointPosition = (point < 0 ? mantissa.Length : point) + exponent;
        var leading = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0');
        pointPosition -= leading;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            return "0";
        }
        var exp = pointPosition - 1;
        var sign = value < 0 ? "-" : "";
        if (exp < -4 || exp >= 6)
        {
            var tail = digits.Length > 1 ? "." + digits[1..] : "";
            return $"{sign}{digits[0]}{tail}e{(exp < 0 ? "-" : "+")}{Math.Abs(exp):00}";
        }
        if (pointPosition <= 0)
        {
            return $"{sign}0.{new string('0', -pointPosition)}{digits}";
        }
        if (pointPosition >= digits.Length)
        {
            return sign + digits + new string('0', pointPosition - digits.Length);
        }
        return $"{sign}{digits[..pointPosition]}.{digits[pointPosition..]}";
    }

    /// <summary>go-units' <c>RAMInBytes</c>: "512M", "1.5g", "64kb", "100" (bytes); 1024-based.</summary>
    public static bool TryParseBytes(string text, out long bytes)
    {
        bytes = 0;
        var match = ByteSize().Match(text);
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var size))
        {
            return false;
        }
        var multiplier = match.Groups[3].Value.ToLowerInvariant() switch
        {
            "k" => 1024d,
            "m" => 1024d * 1024,
            "g" => 1024d * 1024 * 1024,
            "t" => 1024d * 1024 * 1024 * 1024,
            "p" => 1024d * 1024 * 1024 * 1024 * 1024,
            _ => 1d,
        };
        var result = size * multiplier;
        if (result >= long.MaxValue)
        {
            return false;
        }
        bytes = (long)result;
        return true;
    }

    /// <summary>The CLI's <c>opts.ParseCPUs</c>: a rational number of CPUs ("0.5", "1/4") in nano-CPUs, which must come out whole.</summary>
    public static string? TryParseCpus(string text, out long nanoCpus)
    {
        nanoCpus = 0;
        BigInteger numerator, denominator;
        var slash = text.IndexOf('/');
        if (slash >= 0)
        {
            if (!BigInteger.TryParse(text[..slash], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out numerator)
                || !BigInteger.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out denominator) || denominator.IsZero)
            {
                return $"cannot read \"{text}\" as a number of CPUs";
            }
        }
        else if (decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            var scale = value.Scale;
            denominator = BigInteger.Pow(10, scale);
            numerator = BigInteger.Parse(value.ToString(CultureInfo.InvariantCulture).Replace(".", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
        else
        {
            return $"cannot read \"{text}\" as a number of CPUs";
        }
        var nano = numerator * 1_000_000_000;
        if (!(nano % denominator).IsZero)
        {
            return $"\"{text}\" CPUs is too precise: the engine counts in billionths of a CPU";
        }
        var result = nano / denominator;
        if (result > long.MaxValue || result < long.MinValue)
        {
            return $"\"{text}\" CPUs is too large";
        }
        nanoCpus = (long)result;
        return null;
    }

    /// <summary>
    /// google/shlex's <c>Split</c>, which the CLI uses for a command written as one string: spaces separate words,
    /// quotes and backslashes as in a POSIX shell, and <c>#</c> at the start of a word begins a comment.
    /// </summary>
    public static List<string>? ShellSplit(string text, out string? error)
    {
        error = null;
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (!inWord)
            {
                if (c is ' ' or '\t' or '\r' or '\n')
                {
                    i++;
                    continue;
                }
                if (c == '#')
                {
                    while (i < text.Length && text[i] != '\n')
                    {
                        i++;
                    }
                    continue;
                }
                inWord = true;
            }
            switch (c)
            {
                case ' ' or '\t' or '\r' or '\n':
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                    i++;
                    break;
                case '\\':
                    if (i + 1 >= text.Length)
                    {
                        error = "EOF found after escape character";
                        return null;
                    }
                    word.Append(text[i + 1]);
                    i += 2;
                    break;
                case '\'':
                    var close = text.IndexOf('\'', i + 1);
                    if (close < 0)
                    {
                        error = "EOF found when expecting closing quote";
                        return null;
                    }
                    word.Append(text, i + 1, close - i - 1);
                    i = close + 1;
                    break;
                case '"':
                    i++;
                    while (true)
                    {
                        if (i >= text.Length)
                        {
                            error = "EOF found when expecting closing quote";
                            return null;
                        }
                        if (text[i] == '"')
                        {
                            i++;
                            break;
                        }
                        if (text[i] == '\\')
                        {
                            if (i + 1 >= text.Length)
                            {
                                error = "EOF found when expecting closing quote";
                                return null;
                            }
                            word.Append(text[i + 1]);
                            i += 2;
                            continue;
                        }
                        word.Append(text[i]);
                        i++;
                    }
                    break;
                default:
                    word.Append(c);
                    i++;
                    break;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    [GeneratedRegex(@"^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$")]
    private static partial Regex ByteSize();
}
