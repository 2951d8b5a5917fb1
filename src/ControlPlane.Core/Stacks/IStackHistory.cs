using System.Collections.Concurrent;

namespace ControlPlane.Core.Stacks;

/// <summary>How a stack deploy ended, as its history keeps it.</summary>
public static class StackDeployResults
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
}

/// <summary>
/// One deploy of a Compose file as a stack through ControlPlane (DESIGN §9): the file and variables as given, who
/// deployed it and when, the operation that did it and how it ended. Redeploying an earlier one is a rollback.
/// </summary>
public sealed record StackDeployment(
    long Id,
    string ClusterId,
    string Stack,
    string Compose,
    IReadOnlyDictionary<string, string> Variables,
    bool Prune,
    string DeployedBy,
    DateTimeOffset DeployedAt,
    string? OperationId,
    string Result)
{
    /// <summary>The variables' values were left out: they are for those who may deploy the stack (a value may be a password).</summary>
    public bool VariableValuesHidden { get; init; }

    /// <summary>The same deploy with its variables' names only.</summary>
    public StackDeployment WithoutVariableValues() => this with
    {
        Variables = Variables.ToDictionary(v => v.Key, _ => "", StringComparer.Ordinal),
        VariableValuesHidden = true,
    };
}

/// <summary>Where stack deploys are kept: the database in the app, memory where there is none.</summary>
public interface IStackHistory
{
    /// <summary>Stores a new deploy (its <see cref="StackDeployment.Id"/> is ignored) and answers it with its id.</summary>
    Task<StackDeployment> AddAsync(StackDeployment deployment, CancellationToken cancellationToken = default);

    Task SetResultAsync(long id, string result, CancellationToken cancellationToken = default);

    Task<StackDeployment?> FindAsync(string clusterId, long id, CancellationToken cancellationToken = default);

    /// <summary>A stack's deploys, newest first.</summary>
    Task<IReadOnlyList<StackDeployment>> ListAsync(string clusterId, string stack, int limit = 100, CancellationToken cancellationToken = default);

    /// <summary>The newest succeeded deploy of each stack of the cluster.</summary>
    Task<IReadOnlyList<StackDeployment>> LatestAsync(string clusterId, CancellationToken cancellationToken = default);
}

/// <summary>Stack deploys kept in memory, for hosts without a database (component tests, tools).</summary>
public sealed class InMemoryStackHistory : IStackHistory
{
    private readonly ConcurrentDictionary<long, StackDeployment> _deployments = new();
    private long _next;

    public Task<StackDeployment> AddAsync(StackDeployment deployment, CancellationToken cancellationToken = default)
    {
        var stored = deployment with { Id = Interlocked.Increment(ref _next) };
        _deployments[stored.Id] = stored;
        return Task.FromResult(stored);
    }

    public Task SetResultAsync(long id, string result, CancellationToken cancellationToken = default)
    {
        if (_deployments.TryGetValue(id, out var found))
        {
            _deployments[id] = found with { Result = result };
        }
        return Task.CompletedTask;
    }

    public Task<StackDeployment?> FindAsync(string clusterId, long id, CancellationToken cancellationToken = default) =>
        Task.FromResult(_deployments.TryGetValue(id, out var found) && found.ClusterId == clusterId ? found : null);

    public Task<IReadOnlyList<StackDeployment>> ListAsync(string clusterId, string stack, int limit = 100, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<StackDeployment>>(_deployments.Values.Where(d => d.ClusterId == clusterId && d.Stack == stack)
            .OrderByDescending(d => d.Id).Take(limit).ToList());

    public Task<IReadOnlyList<StackDeployment>> LatestAsync(string clusterId, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<StackDeployment>>(_deployments.Values
            .Where(d => d.ClusterId == clusterId && d.Result == StackDeployResults.Succeeded)
            .GroupBy(d => d.Stack, StringComparer.Ordinal)
            .Select(g => g.MaxBy(d => d.Id)!)
            .ToList());
}
