using System.Text.Json;
using ControlPlane.Core.Operations;

namespace ControlPlane.Core.Images;

/// <summary>A service's past rollouts, resumes and rollbacks, read from the operation history.</summary>
public sealed class RolloutHistory(IOperationStore operations)
{
    /// <summary>The service's past rollouts, resumes and rollbacks, newest first.</summary>
    public async Task<IReadOnlyList<Operation>> ListAsync(string clusterId, string serviceName, CancellationToken ct = default)
    {
        var all = new List<Operation>();
        foreach (var kind in RolloutPlans.HistoryKinds)
        {
            all.AddRange(await operations.ListAsync(new OperationQuery(clusterId, kind, serviceName, Limit: 50), ct));
        }
        return all.OrderByDescending(o => o.CreatedAt).ToList();
    }

    /// <summary>The image the service ran before its latest rollout through ControlPlane, when that rollout recorded one.</summary>
    public async Task<string?> ImageBeforeLastRolloutAsync(string clusterId, string serviceName, CancellationToken ct = default)
    {
        var rollouts = await operations.ListAsync(new OperationQuery(clusterId, RolloutPlans.RolloutKind, serviceName, Limit: 1), ct);
        if (rollouts.FirstOrDefault()?.Parameters is not { } parameters)
        {
            return null;
        }
        using var json = JsonDocument.Parse(parameters);
        return json.RootElement.TryGetProperty("previousImage", out var previous) ? previous.GetString() : null;
    }
}
