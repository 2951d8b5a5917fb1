using System.Net;
using ControlPlane.Core.Changes;
using ControlPlane.Docker.Connection;
using Docker.DotNet;

namespace ControlPlane.Docker.Changes;

/// <summary>What every change through the Engine API shares: reaching a manager, "not found" as a clear refusal, and the retry on "update out of sequence".</summary>
public static class EngineChanges
{
    /// <summary>How often an update is retried after "update out of sequence" (someone else changed the spec meanwhile).</summary>
    public const int MaxAttempts = 5;

    /// <summary>A connected manager of the cluster, or a refusal saying why there is none.</summary>
    public static async Task<(ClusterConnection Connection, ConnectedEngine Engine)> ConnectForChangeAsync(this ClusterRegistry registry, string clusterId, CancellationToken ct)
    {
        var connection = registry.Find(clusterId) ?? throw new ChangeRejectedException(ChangeFailure.NotFound, $"No cluster has the id '{clusterId}'.");
        try
        {
            return (connection, await connection.ConnectAsync(ct));
        }
        catch (ClusterUnreachableException ex)
        {
            throw new ChangeRejectedException(ChangeFailure.Failed, ex.Message);
        }
    }

    public static async Task<T> NotFoundAsRejection<T>(Func<Task<T>> call, string message)
    {
        try
        {
            return await call();
        }
        catch (DockerApiException ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ChangeRejectedException(ChangeFailure.NotFound, message);
        }
    }

    /// <summary>
    /// Runs a read-modify-write of a swarm object again when Docker answers "update out of sequence" (its
    /// version moved between our read and our write), up to <see cref="MaxAttempts"/> times.
    /// </summary>
    public static async Task<T> RetryOutOfSequenceAsync<T>(Func<Task<T>> readModifyWrite)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await readModifyWrite();
            }
            catch (DockerApiException ex) when (IsOutOfSequence(ex) && attempt < MaxAttempts)
            {
            }
        }
    }

    public static bool IsOutOfSequence(DockerApiException ex) =>
        ex.ResponseBody?.Contains("update out of sequence", StringComparison.OrdinalIgnoreCase) == true;
}
