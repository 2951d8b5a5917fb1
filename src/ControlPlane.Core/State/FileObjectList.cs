using System.Globalization;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;

namespace ControlPlane.Core.State;

/// <summary>A service's use of a secret or config: which file it mounts, owned by whom, with which mode.</summary>
public sealed record FileUse(ClusterService Service, FileReference Reference);

/// <summary>
/// The metadata of a secret or config, its ControlPlane family and version when it has them, and the services that mount it.
/// Holds no value: Docker never returns one.
/// </summary>
public sealed record FileObjectRow(
    string Id,
    string Name,
    string? Family,
    string? Version,
    Labels Labels,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<FileUse> UsedBy);

/// <summary>Lists secrets and configs with the services that use them.</summary>
public static class FileObjectList
{
    /// <summary>The label naming a secret's logical family (DESIGN §4, secrets and configs).</summary>
    public const string FamilyLabel = "controlplane.family";

    /// <summary>The label numbering a version within its family.</summary>
    public const string VersionLabel = "controlplane.version";

    /// <summary>A cluster's secrets or configs, with the services that mount each, matching <paramref name="text"/> when given.</summary>
    public static IReadOnlyList<FileObjectRow> Of(ClusterState state, FileObjectKind kind, string? text = null)
    {
        var mountsOf = FileObjectKinds.Of(kind).MountsOf;
        var uses = state.Services
            .OrderBy(s => s.Name, StringComparer.Ordinal)
            .SelectMany(s => mountsOf(s.Details).Select(r => new FileUse(s, r)))
            .ToList();
        return state.FileObjects(kind)
            .Select(o => new FileObjectRow(
                o.Id,
                o.Name,
                o.Labels.GetValueOrDefault(FamilyLabel),
                o.Labels.GetValueOrDefault(VersionLabel),
                o.Labels,
                o.CreatedAt,
                o.UpdatedAt,
                uses.Where(u => Refers(u.Reference, o.Id, o.Name)).ToList()))
            .Where(r => string.IsNullOrWhiteSpace(text)
                || TextMatch.Any(text, [r.Name, r.Id, r.Family, .. r.Labels.Values, .. r.UsedBy.Select(u => u.Service.Name)]))
            // A family's versions together, newest first; "v10" must sort after "v9", so compare numbers.
            .OrderBy(r => r.Family ?? r.Name, StringComparer.Ordinal)
            .ThenByDescending(r => int.TryParse(r.Version, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1)
            .ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
    }

    // A reference carries the id Docker resolved; a name only matters when the id is missing.
    private static bool Refers(FileReference reference, string id, string name) =>
        string.IsNullOrEmpty(reference.Id) ? reference.Name == name : reference.Id == id;
}
