using System.Collections.Concurrent;

namespace ControlPlane.Core.Operations;

/// <summary>Operations kept in memory, for hosts without a database (component tests, tools).</summary>
public sealed class InMemoryOperationStore : IOperationStore
{
    private readonly ConcurrentDictionary<string, Operation> _operations = new(StringComparer.Ordinal);

    public Task SaveAsync(Operation operation, CancellationToken cancellationToken = default)
    {
        _operations[operation.Id] = operation;
        return Task.CompletedTask;
    }

    public Task<Operation?> FindAsync(string id, CancellationToken cancellationToken = default) =>
        Task.FromResult(_operations.GetValueOrDefault(id));

    public Task<IReadOnlyList<Operation>> ListAsync(OperationQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<Operation>>(_operations.Values.Where(query.Matches)
            .OrderByDescending(o => o.CreatedAt).Take(query.Limit).ToList());
}
