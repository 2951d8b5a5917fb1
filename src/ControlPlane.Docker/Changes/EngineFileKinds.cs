using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Secrets;
using ControlPlane.Docker.Watching;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ControlPlane.Docker.Changes;

/// <summary>A secret's or config's name, version index and labels as the engine has them, and its spec with other labels (for an update).</summary>
internal sealed record EngineFileObject(string Name, ulong Version, IDictionary<string, string>? Labels, Func<IReadOnlyDictionary<string, string>, object> Relabelled);

/// <summary>
/// The Engine API calls of one kind of file object. Docker.DotNet gives secrets and configs (and their references
/// in a container spec) types of their own; this table is the one place that tells them apart, so the rest of
/// the Docker side handles both alike (the facts of Core's <see cref="FileObjectKinds"/> say the rest).
/// </summary>
internal sealed record EngineFileKind(
    Func<DockerClient, string, IDictionary<string, string>, byte[], CancellationToken, Task<string>> CreateAsync,
    Func<DockerClient, string, CancellationToken, Task> RemoveAsync,
    Func<DockerClient, string, CancellationToken, Task<EngineFileObject>> InspectAsync,
    Func<ContainerSpec, List<FileReference>> ReferencesOf,
    Action<ContainerSpec, IReadOnlyList<FileReference>> SetReferences)
{
    public static readonly EngineFileKind Secret = new(
        async (c, name, labels, data, ct) => (await c.Secrets.CreateAsync(new SwarmSecretSpec { Name = name, Labels = labels, Data = data }, ct)).ID,
        (c, id, ct) => c.Secrets.DeleteAsync(EngineReference.Check(id, "id or name"), ct),
        async (c, id, ct) =>
        {
            var secret = await c.Secrets.InspectAsync(EngineReference.Check(id, "id or name"), ct);
            // Docker allows the labels to change and nothing else; the value is left out (Docker never returns it).
            return new EngineFileObject(secret.Spec!.Name!, secret.Version!.Index!.Value, secret.Spec.Labels,
                labels => new { secret.Spec.Name, Labels = labels, secret.Spec.Driver, secret.Spec.Templating });
        },
        container => (container.Secrets ?? []).Select(DockerModelMapper.ToReference).ToList(),
        (container, references) => container.Secrets = references.Select(r => new SecretReference
        {
            SecretID = r.Id,
            SecretName = r.Name,
            File = new SecretReferenceFileTarget { Name = r.Target, UID = r.Uid, GID = r.Gid, Mode = r.Mode },
        }).ToList());

    public static readonly EngineFileKind Config = new(
        async (c, name, labels, data, ct) => (await c.Configs.CreateConfigAsync(new SwarmCreateConfigParameters { Config = new SwarmConfigSpec { Name = name, Labels = labels, Data = data } }, ct)).ID,
        (c, id, ct) => c.Configs.RemoveConfigAsync(EngineReference.Check(id, "id or name"), ct),
        async (c, id, ct) =>
        {
            var config = await c.Configs.InspectConfigAsync(EngineReference.Check(id, "id or name"), ct);
            return new EngineFileObject(config.Spec!.Name!, config.Version!.Index!.Value, config.Spec.Labels,
                labels => new { config.Spec.Name, Labels = labels, config.Spec.Data, config.Spec.Templating });
        },
        container => (container.Configs ?? []).Select(DockerModelMapper.ToReference).ToList(),
        (container, references) => container.Configs = references.Select(r => new SwarmConfigReference
        {
            ConfigID = r.Id,
            ConfigName = r.Name,
            File = new ConfigReferenceFileTarget { Name = r.Target, UID = r.Uid, GID = r.Gid, Mode = r.Mode },
        }).ToList());

    public static EngineFileKind Of(FileObjectKind kind) => kind switch
    {
        FileObjectKind.Secret => Secret,
        FileObjectKind.Config => Config,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a kind of file object."),
    };
}
