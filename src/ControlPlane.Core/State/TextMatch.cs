namespace ControlPlane.Core.State;

/// <summary>The one rule every list page's text filter follows: case-insensitive "contains" on any of the shown fields.</summary>
public static class TextMatch
{
    public static bool Any(string? text, params ReadOnlySpan<string?> fields)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }
        var needle = text.Trim();
        foreach (var field in fields)
        {
            if (field is not null && field.Contains(needle, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
