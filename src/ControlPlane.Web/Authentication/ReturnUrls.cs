namespace ControlPlane.Web.Authentication;

/// <summary>
/// The one check for every return URL (sign-in form, Microsoft sign-in, the sign-in page's own links): a
/// crafted <c>returnUrl</c> must never send a user to another site after signing in.
/// </summary>
public static class ReturnUrls
{
    /// <summary>
    /// <paramref name="returnUrl"/> when it is a path on this site, else <c>/</c>. Accepted: one leading
    /// <c>/</c> not followed by another <c>/</c> or a <c>\</c>, with no control character or white space,
    /// checked as given and after percent-decoding (browsers drop tabs and newlines from URLs, so
    /// <c>/%09/evil.com</c> is <c>//evil.com</c> to them, and some layers decode <c>%2F</c>).
    /// </summary>
    public static string Safe(string? returnUrl) =>
        returnUrl is { Length: > 0 } && IsLocalPath(returnUrl) && IsLocalPath(Decode(returnUrl)) ? returnUrl : "/";

    private static bool IsLocalPath(string url) =>
        url.Length > 0 && url[0] == '/'
        && (url.Length == 1 || (url[1] != '/' && url[1] != '\\'))
        && !url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c));

    /// <summary>Decodes until nothing changes (a few rounds at most), so double encoding does not hide a second slash.</summary>
    private static string Decode(string url)
    {
        for (var round = 0; round < 3; round++)
        {
            var decoded = Uri.UnescapeDataString(url);
            if (decoded == url)
            {
                return decoded;
            }
            url = decoded;
        }
        return url;
    }
}
