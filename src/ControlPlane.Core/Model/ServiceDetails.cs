namespace ControlPlane.Core.Model;

/// <summary>How Docker rolls a service's tasks to a new spec (update) or back (rollback).</summary>
public sealed record UpdatePolicy(
    long Parallelism,
    TimeSpan Delay,
    string FailureAction,
    TimeSpan Monitor,
    double MaxFailureRatio,
    string Order)
{
    /// <summary>Docker's defaults when a spec leaves the policy out.</summary>
    public static readonly UpdatePolicy Default = new(1, TimeSpan.Zero, "pause", TimeSpan.FromSeconds(5), 0, "stop-first");
}

/// <summary>A secret or config a service mounts: which object, where, with which owner and mode.</summary>
public sealed record FileReference(string Id, string Name, string Target, string Uid, string Gid, uint Mode);

/// <summary>A port the service publishes.</summary>
public sealed record ServicePort(string Protocol, long TargetPort, long PublishedPort, string PublishMode);

/// <summary>The parts of a service's spec operators read on its page. Never holds secret values: Docker does not return them.</summary>
public sealed record ServiceDetails(
    ValueList<string> Command,
    ValueList<string> Args,
    UpdatePolicy Update,
    UpdatePolicy Rollback,
    ValueList<FileReference> Secrets,
    ValueList<FileReference> Configs,
    ValueList<ServicePort> Ports,
    ValueList<string> Networks,
    ValueList<string> Constraints,
    long ReservedNanoCpus,
    long ReservedMemoryBytes,
    long LimitNanoCpus,
    long LimitMemoryBytes,
    string? PreviousImage,
    DateTimeOffset? UpdateStartedAt,
    DateTimeOffset? UpdateCompletedAt)
{
    public static readonly ServiceDetails Empty = new(
        ValueList<string>.Empty, ValueList<string>.Empty, UpdatePolicy.Default, UpdatePolicy.Default,
        ValueList<FileReference>.Empty, ValueList<FileReference>.Empty, ValueList<ServicePort>.Empty,
        ValueList<string>.Empty, ValueList<string>.Empty, 0, 0, 0, 0, null, null, null);
}
