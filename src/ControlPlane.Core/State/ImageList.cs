using ControlPlane.Core.Model;

namespace ControlPlane.Core.State;

/// <summary>An image on one engine, with that engine's node hostname and the services that run it.</summary>
public sealed record ImageRow(ClusterImage Image, string? NodeHostname, IReadOnlyList<ClusterService> UsedBy);

/// <summary>Lists images with the services that use them.</summary>
public static class ImageList
{
    /// <summary>Images whose tag, digest, id, node or user service contains <paramref name="text"/>; tagged images first, by tag.</summary>
    public static IReadOnlyList<ImageRow> Of(ClusterState state, string? text = null)
    {
        var hostnames = state.Nodes.ToDictionary(n => n.Id, n => n.Hostname, StringComparer.Ordinal);
        var services = state.Services.OrderBy(s => s.Name, StringComparer.Ordinal).ToList();
        return state.Images
            .Select(i => new ImageRow(
                i,
                i.NodeId is { } node ? hostnames.GetValueOrDefault(node) ?? node : null,
                services.Where(s => ImageReference.IsUsedBy(s.Image, i.Tags, i.Digests)).ToList()))
            .Where(r => string.IsNullOrWhiteSpace(text)
                || TextMatch.Any(text, [r.Image.Id, r.NodeHostname, .. r.Image.Tags, .. r.Image.Digests, .. r.UsedBy.Select(s => s.Name)]))
            .OrderBy(r => r.Image.Tags.Count == 0)
            .ThenBy(r => r.Image.Tags.FirstOrDefault(), StringComparer.Ordinal)
            .ThenBy(r => r.NodeHostname, StringComparer.Ordinal)
            .ThenBy(r => r.Image.Id, StringComparer.Ordinal)
            .ToList();
    }
}
