using System.Text.Json.Serialization;
using ControlPlane.Core.Model;

namespace ControlPlane.Core.Operations;

/// <summary>The states of an operation and of its steps, as the API spells them (DESIGN §6).</summary>
public static class OperationStates
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";

    /// <summary>The operation failed and put back what it had changed.</summary>
    public const string RolledBack = "rolledback";

    /// <summary>Someone cancelled it; what was done stays done unless the operation says otherwise.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>A step that was not needed (a node that had the image already, a service left alone).</summary>
    public const string Skipped = "skipped";

    public static bool IsFinished(string state) => state is Succeeded or Failed or RolledBack or Cancelled;
}

/// <summary>How far an operation has got: <see cref="Done"/> of <see cref="Total"/> units (tasks, services, nodes).</summary>
public sealed record OperationProgress(int Done, int Total);

/// <summary>
/// One step of an operation: a service being updated, a node pulling an image, a wave. <see cref="Name"/> is
/// unique within the operation and a step is updated in place as it moves.
/// </summary>
public sealed record OperationStep(string Name, string State, string? Message, DateTimeOffset UpdatedAt)
{
    /// <summary>The step's own progress when it has units (tasks of a service, layers of a pull).</summary>
    public OperationProgress? Progress { get; init; }

    /// <summary>The node the step concerns, when it concerns one.</summary>
    public string? Node { get; init; }
}

/// <summary>
/// A long change (rotation, rollout, distribution) persisted with its steps and progress (DESIGN §4), so it
/// can be followed live, queried by id after the fact and kept as history.
/// </summary>
public sealed record Operation(
    string Id,
    string Kind,
    string ClusterId,
    string Target,
    string? Stack,
    string Actor,
    string State,
    OperationProgress Progress,
    ValueList<OperationStep> Steps,
    string? Error,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt)
{
    /// <summary>The settings it was started with, as JSON (never a secret value); the API shows them as an object.</summary>
    [JsonConverter(typeof(RawJsonConverter))]
    public string? Parameters { get; init; }

    /// <summary>How <see cref="Parameters"/> are written (by the runner) and read back (by a replica carrying the operation on).</summary>
    public static readonly System.Text.Json.JsonSerializerOptions ParameterJson = new(System.Text.Json.JsonSerializerDefaults.Web);

    /// <summary>The parameters read as <typeparamref name="T"/>; null when there are none.</summary>
    public T? ParametersAs<T>() where T : class =>
        Parameters is null ? null : System.Text.Json.JsonSerializer.Deserialize<T>(Parameters, ParameterJson);

    /// <summary>The permission it needed; cancelling it needs the same.</summary>
    [JsonIgnore] public string Permission { get; init; } = "";

    [JsonIgnore] public bool IsFinished => OperationStates.IsFinished(State);

    [JsonIgnore] public TimeSpan? Duration => FinishedAt - CreatedAt;

    public OperationStep? FindStep(string name) => Steps.FirstOrDefault(s => s.Name == name);

    /// <summary>The operation with <paramref name="step"/> added, or replacing the step of the same name in place.</summary>
    public Operation WithStep(OperationStep step)
    {
        var steps = Steps.ToList();
        var index = steps.FindIndex(s => s.Name == step.Name);
        if (index >= 0)
        {
            steps[index] = step;
        }
        else
        {
            steps.Add(step);
        }
        return this with { Steps = ValueList<OperationStep>.From(steps), UpdatedAt = step.UpdatedAt };
    }
}

/// <summary>What to look for among operations; every field narrows the result, newest first.</summary>
public sealed record OperationQuery(string? ClusterId = null, string? Kind = null, string? Target = null, string? State = null, int Limit = 100)
{
    public bool Matches(Operation operation) =>
        (ClusterId is null || operation.ClusterId == ClusterId)
        && (Kind is null || operation.Kind == Kind)
        && (Target is null || operation.Target == Target)
        && (State is null || operation.State == State);
}

/// <summary>Where operations are kept: the database in the app, memory where there is none.</summary>
public interface IOperationStore
{
    /// <summary>Inserts the operation or replaces the stored one with the same id.</summary>
    Task SaveAsync(Operation operation, CancellationToken cancellationToken = default);

    Task<Operation?> FindAsync(string id, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Operation>> ListAsync(OperationQuery query, CancellationToken cancellationToken = default);
}

/// <summary>Writes a string that holds JSON as that JSON, and reads any JSON value back as its text.</summary>
public sealed class RawJsonConverter : JsonConverter<string>
{
    public override string Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        using var document = System.Text.Json.JsonDocument.ParseValue(ref reader);
        return document.RootElement.GetRawText();
    }

    public override void Write(System.Text.Json.Utf8JsonWriter writer, string value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteRawValue(value);
}
