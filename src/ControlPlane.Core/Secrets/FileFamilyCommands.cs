using ControlPlane.Core.Changes;
using ControlPlane.Core.Model;
using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;

namespace ControlPlane.Core.Secrets;

/// <summary>
/// The application commands on secret and config families (DESIGN §4), for pages, the API and the scheduler:
/// create, adopt, remove, schedule (quick changes through the <see cref="ChangeGate"/>) and rotate, inject,
/// detach (operations through the <see cref="OperationRunner"/>). Each resolves its target from the store so
/// grants on stacks apply, checks all input before anything changes, and never puts a value in a message, a
/// parameter, a log or an audit record. Not to be confused with <see cref="IFileObjectChanges"/>, the engine port.
/// </summary>
public sealed class FileFamilyCommands(
    ClusterStateStore store,
    ChangeGate gate,
    OperationRunner runner,
    IFileObjectChanges engine,
    FileFamilyOperations operations) : IOperationResumer
{
    /// <summary>The actor of scheduled rotations in the audit log and on versions it creates.</summary>
    public const string ScheduledActor = "controlplane (scheduled)";

    public static readonly TimeSpan MaxGrace = TimeSpan.FromDays(1);

    public async Task<(ChangeResult Result, string? Name)> CreateAsync(ChangeCaller caller, string clusterId, FileObjectKind kind,
        string? family, ValueSource source, int? rotateEveryDays = null, CancellationToken ct = default)
    {
        var name = family?.Trim() ?? "";
        var intent = new ChangeIntent(Perm(kind).Create, AccessTarget.InCluster(clusterId), $"{Plural(kind)}.create", Subject(kind, name)) { Lock = FamilyLock(clusterId, kind, name) };
        var result = await gate.RunAsync(caller, intent, async token =>
        {
            var state = State(clusterId);
            if (SecretFamily.ValidateName(name) is { } badName)
            {
                throw Invalid(badName);
            }
            var value = ValueOf(source, null);
            RotationPolicy? policy = null;
            if (rotateEveryDays is { } days)
            {
                if (source.Generate is not { } generate || days is < 1 or > 3650)
                {
                    throw Invalid("A rotation schedule needs a generated value and between 1 and 3650 days.");
                }
                policy = new RotationPolicy(days, generate.Length!.Value, generate.Alphabet ?? SecretGenerator.DefaultAlphabet);
            }
            if (state.FileObjects(kind).Any(o => o.Labels.GetValueOrDefault(FileObjectList.FamilyLabel) == name || o.Name == name || o.Name == SecretFamily.VersionName(name, 1)))
            {
                throw new ChangeRejectedException(ChangeFailure.Conflict, $"A {Noun(kind)} family named '{name}' exists already.");
            }
            var labels = SecretFamily.Labels(name, 1, caller.Actor);
            foreach (var (key, label) in policy?.ToLabels() ?? [])
            {
                labels[key] = label;
            }
            var created = await engine.CreateAsync(clusterId, kind, SecretFamily.VersionName(name, 1), labels, value, token);
            return new SpecChange("{}", System.Text.Json.JsonSerializer.Serialize(new { created.Name, Labels = labels }));
        }, ct);
        return (result, result.Succeeded ? SecretFamily.VersionName(name, 1) : null);
    }

    /// <summary>Makes an unlabelled secret or config version 1 of a family of its own name (only its labels change).</summary>
    public async Task<ChangeResult> AdoptAsync(ChangeCaller caller, string clusterId, FileObjectKind kind, string name, CancellationToken ct = default)
    {
        var intent = new ChangeIntent(Perm(kind).Create, AccessTarget.InCluster(clusterId), $"{Plural(kind)}.adopt", Subject(kind, name)) { Lock = FamilyLock(clusterId, kind, name) };
        return await gate.RunAsync(caller, intent, token =>
        {
            var family = FindFamily(clusterId, kind, name);
            if (!family.Adoptable)
            {
                throw new ChangeRejectedException(ChangeFailure.Conflict, $"'{name}' is a ControlPlane family already.");
            }
            if (SecretFamily.ValidateName(name) is { } badName)
            {
                throw Invalid($"'{name}' cannot name a family: {badName}");
            }
            var labels = family.Newest.Labels.ToDictionary();
            foreach (var (key, label) in SecretFamily.Labels(name, 1, caller.Actor))
            {
                labels[key] = label;
            }
            return engine.UpdateLabelsAsync(clusterId, kind, family.Newest.Id, labels, token);
        }, ct);
    }

    /// <summary>Removes one version, or the whole family when <paramref name="version"/> is null; refused while a service uses it.</summary>
    public async Task<ChangeResult> RemoveAsync(ChangeCaller caller, string clusterId, FileObjectKind kind, string name, int? version, CancellationToken ct = default)
    {
        var intent = new ChangeIntent(Perm(kind).Remove, AccessTarget.InCluster(clusterId), $"{Plural(kind)}.remove", Subject(kind, name)) { Lock = FamilyLock(clusterId, kind, name) };
        return await gate.RunAsync(caller, intent, async token =>
        {
            var family = FindFamily(clusterId, kind, name);
            var doomed = version is { } n
                ? family.Versions.Where(v => v.Version == n).ToList() is { Count: > 0 } found ? found
                    : throw new ChangeRejectedException(ChangeFailure.NotFound, $"{Noun(kind)} family '{name}' has no version {n}; it has {string.Join(", ", family.Versions.Select(v => v.Version))}.")
                : family.Versions.ToList();
            var users = doomed.SelectMany(v => v.UsedBy.Select(u => u.Service.Name)).Distinct().Order(StringComparer.Ordinal).ToList();
            if (users.Count > 0)
            {
                throw new ChangeRejectedException(ChangeFailure.Conflict,
                    $"{string.Join(", ", doomed.Where(v => v.UsedBy.Count > 0).Select(v => v.Name))} is in use by {string.Join(", ", users)}; detach it or rotate first.");
            }
            foreach (var v in doomed)
            {
                await engine.RemoveAsync(clusterId, kind, v.Id, token);
            }
            return new SpecChange(System.Text.Json.JsonSerializer.Serialize(new { Versions = doomed.Select(v => v.Name) }), "{}");
        }, ct);
    }

    /// <summary>
    /// Sets (or with <paramref name="everyDays"/> null, removes) a secret family's rotation schedule: labels on its
    /// newest version saying how often and how to generate the next value. Rotations carry it to each new version.
    /// </summary>
    public async Task<ChangeResult> SetScheduleAsync(ChangeCaller caller, string clusterId, string name, int? everyDays, GenerateRequest? generate, CancellationToken ct = default)
    {
        var family = store.GetState(clusterId) is { } state ? FileFamilies.Find(state, FileObjectKind.Secret, name) : null;
        var intent = new ChangeIntent(Permissions.Secrets.Rotate, FileFamilies.ScopeOf(clusterId, family), "secrets.schedule", Subject(FileObjectKind.Secret, name)) { Lock = FamilyLock(clusterId, FileObjectKind.Secret, name) };
        return await gate.RunAsync(caller, intent, token =>
        {
            var found = FindFamily(clusterId, FileObjectKind.Secret, name);
            if (found.Adoptable)
            {
                throw new ChangeRejectedException(ChangeFailure.Conflict, $"'{name}' is not a ControlPlane family yet; adopt it first.");
            }
            var labels = found.Newest.Labels.Where(l => l.Key is not (RotationPolicy.EveryDaysLabel or RotationPolicy.LengthLabel or RotationPolicy.AlphabetLabel))
                .ToDictionary(l => l.Key, l => l.Value);
            if (everyDays is { } days)
            {
                var length = generate?.Length ?? 32;
                if (days is < 1 or > 3650)
                {
                    throw Invalid("rotateEveryDays must be between 1 and 3650.");
                }
                if (SecretGenerator.Validate(length, generate?.Alphabet) is { } bad)
                {
                    throw Invalid(bad);
                }
                foreach (var (key, label) in new RotationPolicy(days, length, generate?.Alphabet ?? SecretGenerator.DefaultAlphabet).ToLabels())
                {
                    labels[key] = label;
                }
            }
            return engine.UpdateLabelsAsync(clusterId, FileObjectKind.Secret, found.Newest.Id, labels, token);
        }, ct);
    }

    /// <summary>
    /// Rotates a family across every service that uses it. The target is the family's scope (<see cref="FileFamilies.ScopeOf"/>),
    /// so a caller scoped to one stack cannot rotate what another stack owns or uses.
    /// </summary>
    public Task<ChangeResult> RotateAsync(ChangeCaller caller, string clusterId, FileObjectKind kind, string name, ValueSource source, int? graceSeconds, CancellationToken ct = default)
    {
        var family = store.GetState(clusterId) is { } state ? FileFamilies.Find(state, kind, name) : null;
        var intent = new ChangeIntent(Perm(kind).Rotate, FileFamilies.ScopeOf(clusterId, family), $"{Plural(kind)}.rotate", Subject(kind, name)) { Lock = FamilyLock(clusterId, kind, name) };
        return runner.StartAsync(caller, intent, _ =>
        {
            var found = FindFamily(clusterId, kind, name);
            var value = ValueOf(source, found.Policy);
            if (graceSeconds is < 0 || graceSeconds > MaxGrace.TotalSeconds)
            {
                throw Invalid($"graceSeconds must be between 0 and {MaxGrace.TotalSeconds:0}.");
            }
            if (SecretFamily.ValidateName(SecretFamily.VersionName(found.Name, found.Newest.Version + 1)) is { } badName)
            {
                throw Invalid($"The family cannot take another version: {badName}");
            }
            return Task.FromResult(operations.Rotate(clusterId, found, found.Users, value, caller.Actor, TimeSpan.FromSeconds(graceSeconds ?? 0)));
        }, ct);
    }

    /// <summary>
    /// Mounts a family in a service. The family's files land in the service's containers, so the caller needs the
    /// inject permission both on the service's stack and on the family's own scope (<see cref="FileFamilies.ScopeOf"/>):
    /// a stack's admin must not read another stack's secret through a service of their own.
    /// </summary>
    public async Task<ChangeResult> InjectAsync(ChangeCaller caller, string clusterId, FileObjectKind kind, string serviceIdOrName, MountRequest request, CancellationToken ct = default)
    {
        var state = store.GetState(clusterId);
        var service = state?.FindService(serviceIdOrName);
        var familyName = request.Family?.Trim() ?? "";
        var family = state is null || familyName.Length == 0 ? null : FileFamilies.Find(state, kind, familyName);
        var intent = new ChangeIntent(Perm(kind).Inject, AccessTarget.InCluster(clusterId, service?.Stack), $"{Plural(kind)}.inject", service?.Name ?? serviceIdOrName)
        {
            AlsoOn = family is null ? [] : [FileFamilies.ScopeOf(clusterId, family)],
        };
        return await runner.StartAsync(caller, intent, _ =>
        {
            var found = service ?? throw ChangeRejections.NoService(clusterId, serviceIdOrName);
            if (familyName.Length == 0)
            {
                throw Invalid("family is required: the secret or config family to mount.");
            }
            if (family is null)
            {
                throw NoFamily(clusterId, kind, familyName);
            }
            var target = string.IsNullOrWhiteSpace(request.Target) ? family.Name : request.Target.Trim();
            if (FileTargets.Validate(target, kind) is { } badTarget)
            {
                throw Invalid(badTarget);
            }
            var uid = Id(request.Uid, "uid");
            var gid = Id(request.Gid, "gid");
            var mode = FileTargets.ParseMode(request.Mode) ?? throw Invalid($"mode '{request.Mode}' is not a file mode; use octal such as 0444 or 0400.");
            var mounts = kind.Facts().MountsOf(found.Details);
            if (mounts.Any(m => family.Contains(m.Id)))
            {
                throw new ChangeRejectedException(ChangeFailure.Conflict, $"{found.Name} mounts {family.Name} already; rotate it to change the value.");
            }
            if (mounts.FirstOrDefault(m => FileTargets.PathOf(m.Target, kind) == FileTargets.PathOf(target, kind)) is { } taken)
            {
                throw new ChangeRejectedException(ChangeFailure.Conflict, $"{found.Name} mounts {taken.Name} at {FileTargets.PathOf(target, kind)} already.");
            }
            return Task.FromResult(operations.Inject(clusterId, family, found, new FileReference("", "", target, uid, gid, mode)));
        }, ct);
    }

    public async Task<ChangeResult> DetachAsync(ChangeCaller caller, string clusterId, FileObjectKind kind, string serviceIdOrName, string familyName, CancellationToken ct = default)
    {
        var service = store.GetState(clusterId)?.FindService(serviceIdOrName);
        var intent = new ChangeIntent(Perm(kind).Inject, AccessTarget.InCluster(clusterId, service?.Stack), $"{Plural(kind)}.detach", service?.Name ?? serviceIdOrName);
        return await runner.StartAsync(caller, intent, _ =>
        {
            var found = service ?? throw ChangeRejections.NoService(clusterId, serviceIdOrName);
            var family = FindFamily(clusterId, kind, familyName);
            var mounts = kind.Facts().MountsOf(found.Details);
            if (!mounts.Any(m => family.Contains(m.Id)))
            {
                throw new ChangeRejectedException(ChangeFailure.NotFound, $"{found.Name} does not mount {Noun(kind)} family {family.Name}.");
            }
            return Task.FromResult(operations.Detach(clusterId, family, found));
        }, ct);
    }

    /// <summary>A config version's data (configs are not secret; there is no such call for secrets).</summary>
    public async Task<(FamilyVersion Version, byte[] Data)> ReadConfigAsync(string clusterId, string familyName, int version, CancellationToken ct = default)
    {
        var family = FindFamily(clusterId, FileObjectKind.Config, familyName);
        var found = family.Versions.FirstOrDefault(v => v.Version == version)
            ?? throw new ChangeRejectedException(ChangeFailure.NotFound, $"Config family '{familyName}' has no version {version}.");
        return (found, await engine.ReadConfigDataAsync(clusterId, found.Id, ct));
    }

    public Family FindFamily(string clusterId, FileObjectKind kind, string name) =>
        FileFamilies.Find(State(clusterId), kind, name) ?? throw NoFamily(clusterId, kind, name);

    private static ChangeRejectedException NoFamily(string clusterId, FileObjectKind kind, string name) =>
        new(ChangeFailure.NotFound, $"Cluster '{clusterId}' has no {Noun(kind)} family '{name}'.");

    /// <summary>The value to store: decoded data, or a generated one (from the request, else the family's policy), checked.</summary>
    private static byte[] ValueOf(ValueSource source, RotationPolicy? policy)
    {
        byte[] value;
        if (source.Generate is { } generate)
        {
            if (SecretGenerator.Validate(generate.Length, generate.Alphabet) is { } bad)
            {
                throw Invalid(bad);
            }
            value = SecretGenerator.Generate(generate.Length!.Value, generate.Alphabet);
        }
        else if (source.Base64Data is not null)
        {
            try
            {
                value = Convert.FromBase64String(source.Base64Data);
            }
            catch (FormatException)
            {
                throw Invalid("data must be the value encoded in base64.");
            }
        }
        else if (policy is not null)
        {
            value = SecretGenerator.Generate(policy.Length, policy.Alphabet);
        }
        else
        {
            throw Invalid("Give the new value as data (base64) or ask for one with generate: {length, alphabet}.");
        }
        return SecretFamily.ValidateValue(value) is { } badValue ? throw Invalid(badValue) : value;
    }

    private static string Id(string? value, string field)
    {
        var text = string.IsNullOrWhiteSpace(value) ? "0" : value.Trim();
        return uint.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _)
            ? text
            : throw Invalid($"{field} must be a number (a user or group id inside the container), such as 0 or 1000.");
    }

    public bool Resumes(string kind) => kind == FileObjectKind.Secret.Facts().RotationOperation || kind == FileObjectKind.Config.Facts().RotationOperation;

    /// <summary>
    /// A rotation another replica started and stopped (DESIGN §8), carried on from its parameters and from the cluster
    /// as ControlPlane sees it now (see <see cref="FileFamilyOperations.Resume"/>), under the family's lock as it started.
    /// </summary>
    public OperationResumption Resume(Operation operation)
    {
        var kind = operation.Kind == FileObjectKind.Config.Facts().RotationOperation ? FileObjectKind.Config : FileObjectKind.Secret;
        using var parameters = System.Text.Json.JsonDocument.Parse(operation.Parameters ?? "{}");
        var root = parameters.RootElement;
        var name = root.GetProperty("family").GetString() ?? operation.Target;
        var from = root.GetProperty("from").GetInt32();
        var to = root.GetProperty("to").GetInt32();
        var grace = TimeSpan.FromSeconds(root.TryGetProperty("graceSeconds", out var g) ? g.GetDouble() : 0);
        var serviceNames = root.GetProperty("services").EnumerateArray().Select(e => e.GetString() ?? "").ToList();

        var state = store.GetState(operation.ClusterId);
        var family = state is null ? null : FileFamilies.Find(state, kind, name);
        var intent = new ChangeIntent(Perm(kind).Rotate, AccessTarget.InCluster(operation.ClusterId, operation.Stack), $"{Plural(kind)}.rotate", Subject(kind, name))
        {
            Lock = FamilyLock(operation.ClusterId, kind, name),
        };
        if (state is null || family is null)
        {
            return new OperationResumption(intent, OperationPlan.Failing(operation,
                $"The replica running this rotation stopped, and the {Noun(kind)} family {name} is not in ControlPlane's picture of {operation.ClusterId}: check its services."));
        }
        var services = serviceNames.Select(state.FindService).OfType<ClusterService>().ToList();
        var plan = operations.Resume(operation.ClusterId, family, from, to, services, grace);
        var gone = serviceNames.Where(n => services.All(s => s.Name != n)).ToList();
        return new OperationResumption(intent, plan with
        {
            Run = async ctx =>
            {
                foreach (var missing in gone)
                {
                    await ctx.StepAsync(missing, OperationStates.Skipped, "the service is gone");
                }
                await plan.Run(ctx);
            },
        });
    }

    private ClusterState State(string clusterId) =>
        store.GetState(clusterId) ?? throw ChangeRejections.NoCluster(clusterId);

    private static ChangeRejectedException Invalid(string message) => new(ChangeFailure.Invalid, message);

    private static FileObjectPermissions Perm(FileObjectKind kind) => kind.Facts().Permissions;

    private static string Plural(FileObjectKind kind) => kind.Facts().Plural;

    private static string Noun(FileObjectKind kind) => kind.Facts().Noun;

    // The family's lock key: creating, rotating and removing one family never overlap.
    private static string Subject(FileObjectKind kind, string family) => $"{Noun(kind)} {family}";

    /// <summary>One lock per family in the cluster, whichever stack the change is checked against.</summary>
    private static string FamilyLock(string clusterId, FileObjectKind kind, string family) => $"{clusterId}/{Subject(kind, family)}";
}
