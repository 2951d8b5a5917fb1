using System.Text.Json.Nodes;
using ControlPlane.Core.Changes;

namespace ControlPlane.Core.Stacks;

/// <summary>What a deploy would do to one object: create, update, remove, or leave it unchanged (with the spec diff of an update).</summary>
public sealed record StackChange(string Kind, string Name, string Action, string? Diff);

/// <summary>A deploy's preview (DESIGN §6): the file's warnings and what would change, object by object.</summary>
public sealed record StackPreview(IReadOnlyList<string> Warnings, IReadOnlyList<StackChange> Changes);

/// <summary>The actions' names, as the preview and the operation's steps spell them.</summary>
public static class StackActions
{
    public const string Create = "create";
    public const string Update = "update";
    public const string Remove = "remove";
    public const string Unchanged = "unchanged";
}

/// <summary>A network the deploy creates, or finds already there.</summary>
public sealed record NetworkWork(string Name, JsonObject Create, string Action);

/// <summary>A service the deploy creates, updates (from <see cref="Current"/>) or leaves alone, with its spec resolved and pinned.</summary>
public sealed record ServiceWork(string Name, string Action, JsonObject Spec, EngineService? Current, string? Diff);

/// <summary>
/// A deploy worked out against the cluster as it is: the stack's networks and services with what to do to each,
/// the services a prune removes, the warnings (an image whose digest could not be found), and the ids of the
/// external objects and existing networks its specs use.
/// </summary>
public sealed record StackWork(
    string Stack,
    IReadOnlyList<NetworkWork> Networks,
    IReadOnlyList<ServiceWork> Services,
    IReadOnlyList<EngineService> Pruned,
    IReadOnlyList<string> Warnings,
    ResolvedReferences Resolved,
    IReadOnlyDictionary<string, string> NetworkIds)
{
    public StackPreview Preview() => new(Warnings,
    [
        .. Networks.Select(n => new StackChange("network", n.Name, n.Action, null)),
        .. Services.Select(s => new StackChange("service", s.Name, s.Action, s.Diff)),
        .. Pruned.Select(s => new StackChange("service", s.Name, StackActions.Remove, null)),
    ]);

    /// <summary>
    /// Works out a deploy of <paramref name="plan"/>: reads the stack and what its references name, pins every image
    /// as the docker CLI does (always asking the registry), and compares each service with the one running. Input
    /// problems (an external reference that does not exist) are refused with their lines before anything changes.
    /// </summary>
    public static async Task<StackWork> PlanAsync(IStackChanges engine, string clusterId, StackPlan plan, bool prune, CancellationToken ct)
    {
        var current = await engine.ReadStackAsync(clusterId, plan.Stack, ct);
        var kinds = plan.References.Select(r => r.Kind)
            .Concat(plan.Services.Any(s => StackSpecs.FilesOf(s.Spec, ReferenceKind.Secret).Any()) ? [ReferenceKind.Secret] : [])
            .Concat(plan.Services.Any(s => StackSpecs.FilesOf(s.Spec, ReferenceKind.Config).Any()) ? [ReferenceKind.Config] : [])
            .ToHashSet();
        async Task<IReadOnlyList<EngineObject>> List(ReferenceKind kind) => kinds.Contains(kind) ? await engine.ListAsync(clusterId, kind, ct) : [];
        var lists = await Task.WhenAll(List(ReferenceKind.Secret), List(ReferenceKind.Config), List(ReferenceKind.Network));
        var (resolved, problems) = StackReferences.Resolve(plan, lists[0], lists[1], lists[2]);
        if (problems.Count > 0)
        {
            throw new ChangeRejectedException(ChangeFailure.Invalid, Describe(problems), problems);
        }

        var networkIds = current.Networks.ToDictionary(n => n.Name, n => n.Id, StringComparer.Ordinal);
        var networks = plan.Networks.Select(n =>
        {
            var name = (string?)n.Create["Name"] ?? n.Name;
            return new NetworkWork(name, n.Create, networkIds.ContainsKey(name) ? StackActions.Unchanged : StackActions.Create);
        }).ToList();

        var warnings = plan.Warnings.ToList();
        var images = plan.Services.Select(s => StackSpecs.ImageOf(s.Spec)).OfType<string>().Select(StackSpecs.Tagged).Distinct(StringComparer.Ordinal).ToList();
        var pinned = (await Task.WhenAll(images.Select(async image => (image, pin: await engine.ResolveImageAsync(clusterId, image, ct)))))
            .ToDictionary(p => p.image, p => p.pin, StringComparer.Ordinal);
        foreach (var (image, pin) in pinned.Where(p => p.Value is null))
        {
            warnings.Add($"image {image} could not be accessed on a registry to record its digest. Each node will access {image} independently, possibly leading to different nodes running different versions of the image.");
        }

        var existing = current.Services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var services = new List<ServiceWork>();
        foreach (var planned in plan.Services)
        {
            var spec = (JsonObject)planned.Spec.DeepClone();
            var name = (string?)spec["Name"] ?? $"{plan.Stack}_{planned.Name}";
            spec["Name"] = name;
            StackReferences.Apply(spec, resolved, networkIds);
            if (StackSpecs.ImageOf(spec) is { } image)
            {
                var tagged = StackSpecs.Tagged(image);
                StackSpecs.Pin(spec, tagged, pinned.GetValueOrDefault(tagged));
            }
            if (!existing.TryGetValue(name, out var running))
            {
                services.Add(new ServiceWork(name, StackActions.Create, spec, null, null));
                continue;
            }
            // As the CLI: a deploy has no --force, so the service's own force counter is kept and tasks restart only on a real change.
            KeepForceUpdate(spec, running.Spec);
            var same = StackSpecs.Same(running.Spec, spec);
            services.Add(new ServiceWork(name, same ? StackActions.Unchanged : StackActions.Update, spec, running,
                same ? null : SpecDiff.Compute(StackSpecs.Canonical(running.Spec).ToJsonString(), StackSpecs.Canonical(spec).ToJsonString())));
        }
        var named = services.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var pruned = prune ? current.Services.Where(s => !named.Contains(s.Name)).OrderBy(s => s.Name, StringComparer.Ordinal).ToList() : [];
        return new StackWork(plan.Stack, networks, services, pruned, warnings, resolved, networkIds);
    }

    /// <summary>Copies the running service's <c>ForceUpdate</c> onto a spec about to replace it.</summary>
    public static void KeepForceUpdate(JsonObject spec, JsonObject running)
    {
        if (spec["TaskTemplate"] is JsonObject task)
        {
            task["ForceUpdate"] = (running["TaskTemplate"] as JsonObject)?["ForceUpdate"]?.DeepClone() ?? 0;
        }
    }

    public static string Describe(IReadOnlyList<InputProblem> problems) =>
        problems.Count == 1 ? $"The Compose file has a problem: {problems[0]}" : $"The Compose file has {problems.Count} problems: {string.Join("; ", problems)}";
}
