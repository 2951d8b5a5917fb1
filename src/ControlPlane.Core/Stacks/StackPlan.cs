using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;

namespace ControlPlane.Core.Stacks;

/// <summary>
/// What a Compose file makes on a swarm, as <c>docker stack deploy</c> would make it (DESIGN §9): the Engine API
/// specs of the stack's networks and services, in the Engine API's own JSON, and what they use from outside the
/// stack. Built by <see cref="ComposeConverter"/> without touching the cluster; the deploy then resolves names to ids
/// and pins images to digests.
/// </summary>
public sealed record StackPlan(
    string Stack,
    IReadOnlyList<PlannedNetwork> Networks,
    IReadOnlyList<PlannedService> Services,
    IReadOnlyList<PlannedReference> References,
    IReadOnlyList<string> Warnings);

/// <summary>A network the stack creates (<c>&lt;stack&gt;_&lt;name&gt;</c>), as the body of <c>POST /networks/create</c> (with its Name).</summary>
public sealed record PlannedNetwork(string Name, JsonObject Create);

/// <summary>
/// A service of the stack: its full <c>ServiceSpec</c> as the Engine API takes it. Secrets and configs are named by
/// <c>SecretName</c>/<c>ConfigName</c> with empty ids and networks by name in <c>Target</c>; the deploy fills in ids.
/// <see cref="Line"/> is where the service is defined in the file.
/// </summary>
public sealed record PlannedService(string Name, JsonObject Spec, int Line)
{
    /// <summary>
    /// The restricted uses the service asks for (DESIGN §9), each at the line and column of the Compose key that asks
    /// for it, so a refusal names them: those <see cref="Changes.RestrictedRule.Find"/> reads from the spec, and
    /// <c>devices</c>, which has no place in a swarm spec.
    /// </summary>
    public IReadOnlyList<InputProblem> Restricted { get; init; } = [];
}

/// <summary>What a reference names outside the stack's own objects.</summary>
public enum ReferenceKind
{
    /// <summary>
    /// An external secret, by name: an engine secret of that name, else a ControlPlane secret family of that name,
    /// which the deploy resolves to the family's current version (later rotations keep the service on the family).
    /// </summary>
    Secret,

    /// <summary>An external config, by name, resolved like <see cref="Secret"/>.</summary>
    Config,

    /// <summary>An external network, by name.</summary>
    Network,
}

/// <summary>
/// Something outside the stack its services use: an external secret, config or network, or a ControlPlane family.
/// The caller needs the right to use it on its own scope, and the deploy checks it exists before creating anything.
/// </summary>
public sealed record PlannedReference(ReferenceKind Kind, string Name, int Line, int Column, string Key);
