namespace ControlPlane.Core.State;

/// <summary>
/// An image reference split into repository, tag and digest, with Docker Hub's implied parts made explicit,
/// so <c>nginx</c>, <c>docker.io/library/nginx:latest</c> and a service's pinned <c>nginx:latest@sha256:…</c> compare equal.
/// </summary>
public sealed record ImageReference(string Repository, string? Tag, string? Digest)
{
    public static ImageReference Parse(string reference)
    {
        var at = reference.IndexOf('@', StringComparison.Ordinal);
        var digest = at >= 0 ? reference[(at + 1)..] : null;
        var name = at >= 0 ? reference[..at] : reference;
        // A colon before the last slash belongs to a registry's port, not to a tag.
        var colon = name.LastIndexOf(':');
        var tagged = colon > name.LastIndexOf('/');
        var tag = tagged ? name[(colon + 1)..] : null;
        var repository = tagged ? name[..colon] : name;
        // "nginx@sha256:…" names a manifest and no tag; only a bare "nginx" means "nginx:latest".
        return new ImageReference(Normalize(repository), tag ?? (digest is null ? "latest" : null), string.IsNullOrEmpty(digest) ? null : digest);
    }

    /// <summary>Whether a service whose spec names <paramref name="serviceImage"/> uses an image with these tags and repo digests.</summary>
    public static bool IsUsedBy(string serviceImage, IEnumerable<string> tags, IEnumerable<string> digests)
    {
        var wanted = Parse(serviceImage);
        if (wanted.Tag is not null && tags.Select(Parse).Any(t => t.Repository == wanted.Repository && t.Tag == wanted.Tag))
        {
            return true;
        }
        return wanted.Digest is not null && digests.Any(d => Parse(d).Digest == wanted.Digest);
    }

    private static string Normalize(string repository)
    {
        foreach (var registry in (ReadOnlySpan<string>)["docker.io/", "index.docker.io/", "registry-1.docker.io/"])
        {
            if (repository.StartsWith(registry, StringComparison.Ordinal))
            {
                repository = repository[registry.Length..];
                break;
            }
        }
        return repository.StartsWith("library/", StringComparison.Ordinal) && repository.Count(c => c == '/') == 1
            ? repository["library/".Length..]
            : repository;
    }
}
