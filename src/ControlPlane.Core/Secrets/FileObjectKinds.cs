using ControlPlane.Core.Model;
using ControlPlane.Core.Security;

namespace ControlPlane.Core.Secrets;

/// <summary>The permissions that create, mount, rotate and remove one kind of file object.</summary>
public sealed record FileObjectPermissions(string Create, string Inject, string Rotate, string Remove);

/// <summary>
/// The facts in which secrets and configs differ, written down once (DESIGN §4): everything else handles the two
/// kinds alike, with one record, one mapping and one set of rules.
/// </summary>
/// <param name="Noun">"secret": in messages and lock keys.</param>
/// <param name="Plural">"secrets": the API's and the Engine API's path segment and the prefix of audit actions.</param>
/// <param name="DataReadable">Whether a version's data can be read back (configs; a secret's value never leaves Docker).</param>
/// <param name="Generated">Whether values are generated, rotated on a schedule and go stale with age (secrets; configs are written by hand).</param>
/// <param name="MountDirectory">Where a target that is not an absolute path lands in the container.</param>
/// <param name="ConfinedToMountDirectory">Whether an absolute target must stay inside <paramref name="MountDirectory"/>.</param>
/// <param name="RotationOperation">The kind of the operation that rotates a family.</param>
/// <param name="MountsOf">The references of this kind in a service's spec.</param>
public sealed record FileObjectKindFacts(
    FileObjectKind Kind,
    ResourceKind Resource,
    string Noun,
    string Plural,
    FileObjectPermissions Permissions,
    bool DataReadable,
    bool Generated,
    string MountDirectory,
    bool ConfinedToMountDirectory,
    string RotationOperation,
    Func<ServiceDetails, IReadOnlyList<FileReference>> MountsOf)
{
    /// <summary>"Secrets", for headings.</summary>
    public string Title => char.ToUpperInvariant(Plural[0]) + Plural[1..];

    /// <summary>The audit action of a change of this kind: "secrets.rotate".</summary>
    public string Action(string verb) => $"{Plural}.{verb}";
}

/// <summary>The two kinds of file object and their facts.</summary>
public static class FileObjectKinds
{
    public static readonly FileObjectKindFacts Secret = new(
        FileObjectKind.Secret, ResourceKind.Secret, "secret", "secrets",
        new(Security.Permissions.Secrets.Create, Security.Permissions.Secrets.Inject, Security.Permissions.Secrets.Rotate, Security.Permissions.Secrets.Remove),
        DataReadable: false, Generated: true, MountDirectory: "/run/secrets", ConfinedToMountDirectory: true,
        RotationOperation: "secret-rotation", MountsOf: details => details.Secrets);

    public static readonly FileObjectKindFacts Config = new(
        FileObjectKind.Config, ResourceKind.Config, "config", "configs",
        new(Security.Permissions.Configs.Create, Security.Permissions.Configs.Inject, Security.Permissions.Configs.Rotate, Security.Permissions.Configs.Remove),
        DataReadable: true, Generated: false, MountDirectory: "/", ConfinedToMountDirectory: false,
        RotationOperation: "config-rotation", MountsOf: details => details.Configs);

    public static IReadOnlyList<FileObjectKindFacts> All { get; } = [Secret, Config];

    public static FileObjectKindFacts Of(FileObjectKind kind) => kind switch
    {
        FileObjectKind.Secret => Secret,
        FileObjectKind.Config => Config,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a kind of file object."),
    };

    /// <summary>The facts of a kind, from anywhere a <see cref="FileObjectKind"/> is at hand.</summary>
    public static FileObjectKindFacts Facts(this FileObjectKind kind) => Of(kind);
}
