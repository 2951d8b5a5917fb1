using System.Text.RegularExpressions;

namespace ControlPlane.Core.Images;

/// <summary>
/// Docker's grammar for image references (distribution/reference): <c>[registry[:port]/]path[:tag][@digest]</c>,
/// with lower-case path components. Checked before anything is sent, so a typo gets a clear message.
/// </summary>
public static partial class ImageReferenceSyntax
{
    [GeneratedRegex(
        @"^(?:(?<registry>(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?)/)?" +
        @"(?<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)" +
        @"(?::(?<tag>[\w][\w.-]{0,127}))?" +
        @"(?:@(?<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$")]
    private static partial Regex Grammar();

    /// <summary>Null when <paramref name="reference"/> is a valid image reference, otherwise why not.</summary>
    public static string? Validate(string? reference)
    {
        if (string.IsNullOrWhiteSpace(reference))
        {
            return "image is required: a reference such as registry:5000/team/app:2 or app@sha256:….";
        }
        if (reference.Length > 255 + 128 + 80)
        {
            return "The image reference is too long.";
        }
        var match = Grammar().Match(reference.Trim());
        if (!match.Success)
        {
            return $"'{reference.Trim()}' is not a valid image reference: use [registry[:port]/]name[:tag][@sha256:digest] with a lower-case name.";
        }
        // "app:5000/x" parses as registry "app:5000"; a bare "host:port" with nothing after is already refused above.
        return match.Groups["path"].Length > 255 ? "The repository name is longer than Docker's 255 characters." : null;
    }

    /// <summary>
    /// <paramref name="repository"/> moved to <paramref name="tagOrDigest"/>: <c>2</c> gives <c>repo:2</c>, <c>sha256:…</c>
    /// gives <c>repo@sha256:…</c> (the form the wave rollout by repository uses).
    /// </summary>
    public static string WithTagOrDigest(string repository, string tagOrDigest) =>
        tagOrDigest.Contains(':', StringComparison.Ordinal) ? $"{repository}@{tagOrDigest.TrimStart('@')}" : $"{repository}:{tagOrDigest.TrimStart(':')}";

    /// <summary>The repository of a reference as written, without tag or digest (<c>10.99.0.1:5000/demo/app:2@sha256:…</c> → <c>10.99.0.1:5000/demo/app</c>).</summary>
    public static string RepositoryOf(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        var name = at >= 0 ? reference[..at] : reference;
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? name[..colon] : name;
    }

    /// <summary>The reference without its digest (a service's pinned <c>app:2@sha256:…</c> → <c>app:2</c>), for people.</summary>
    public static string WithoutDigest(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        return at >= 0 ? reference[..at] : reference;
    }

    /// <summary>The digest a reference pins, if any.</summary>
    public static string? DigestOf(string? reference)
    {
        var at = reference?.IndexOf('@', StringComparison.Ordinal) ?? -1;
        return at >= 0 ? reference![(at + 1)..] : null;
    }
}
