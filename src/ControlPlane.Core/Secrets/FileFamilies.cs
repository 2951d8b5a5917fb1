using System.Globalization;
using ControlPlane.Core.Model;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Secrets;

/// <summary>One version of a family: a Docker secret or config, with the services that mount it.</summary>
public sealed record FamilyVersion(string Id, string Name, int Version, Labels Labels, DateTimeOffset CreatedAt, IReadOnlyList<FileUse> UsedBy)
{
    /// <summary>Whether ControlPlane's labels make it a family member; an unlabelled object is shown as a family of one.</summary>
    public bool Labelled => Labels.ContainsKey(FileObjectList.FamilyLabel);

    public string? CreatedBy => Labels.GetValueOrDefault(SecretFamily.CreatedByLabel);
}

/// <summary>A logical secret or config and its versions, newest first (DESIGN §4).</summary>
public sealed record Family(string Name, FileObjectKind Kind, IReadOnlyList<FamilyVersion> Versions)
{
    public FamilyVersion Newest => Versions[0];

    /// <summary>An unlabelled object, which adoption turns into version 1 of a family of its name.</summary>
    public bool Adoptable => Versions.Count == 1 && !Versions[0].Labelled;

    public bool Contains(string objectId) => Versions.Any(v => v.Id == objectId);

    /// <summary>Every service that mounts any version, once each, by name.</summary>
    public IReadOnlyList<ClusterService> Users => Versions.SelectMany(v => v.UsedBy).Select(u => u.Service)
        .DistinctBy(s => s.Id).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    /// <summary>The scheduled rotation policy from the newest version's labels, when it has one.</summary>
    public RotationPolicy? Policy => RotationPolicy.From(Newest.Labels);
}

/// <summary>Groups a cluster's secrets or configs into families.</summary>
public static class FileFamilies
{
    public static IReadOnlyList<Family> Of(ClusterState state, FileObjectKind kind) =>
        FileObjectList.Of(state, kind)
            .GroupBy(r => r.Family ?? r.Name, StringComparer.Ordinal)
            .Select(g => new Family(g.Key, kind, g
                .Select(r => new FamilyVersion(r.Id, r.Name, VersionOf(r.Version), r.Labels, r.CreatedAt, r.UsedBy))
                .OrderByDescending(v => v.Version).ThenByDescending(v => v.CreatedAt).ToList()))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();

    public static Family? Find(ClusterState state, FileObjectKind kind, string name) =>
        Of(state, kind).FirstOrDefault(f => f.Name == name);

    /// <summary>
    /// The scope a family belongs to (DESIGN §9), where changing or mounting it needs its permission: the one stack
    /// its namespace label and the services using it share; the whole cluster when they name none or several, or a
    /// service outside any stack uses it. Never only the service it is put into: a secret belongs to its own stack too.
    /// </summary>
    public static AccessTarget ScopeOf(string clusterId, Family? family)
    {
        var stacks = family is null ? [] : family.Versions.Select(v => v.Labels.GetValueOrDefault(ClusterVisibility.StackLabel)).OfType<string>()
            .Concat(family.Users.Select(s => s.Stack))
            .Distinct()
            .ToList();
        return stacks is [{ } only] ? AccessTarget.InCluster(clusterId, only) : AccessTarget.InCluster(clusterId);
    }

    private static int VersionOf(string? label) =>
        int.TryParse(label, NumberStyles.None, CultureInfo.InvariantCulture, out var version) ? version : 1;
}
