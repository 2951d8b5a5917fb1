using ControlPlane.Core.Operations;
using ControlPlane.Core.Security;
using ControlPlane.Core.State;
using ControlPlane.Web.Authentication;
using ControlPlane.Web.Authorization;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace ControlPlane.Web.Hubs;

/// <summary>
/// The public live feed at <c>/hubs/cluster</c> for non-browser clients (DESIGN §6): the same
/// snapshot-then-changes pages get, answered from the store, so a client never causes an Engine API call.
/// </summary>
public sealed class ClusterHub(ClusterStateStore store, AccessControl access, SessionValidator sessions, IOptions<SessionCheckOptions> options, TimeProvider time, IOperationStore operations, ClusterWatchFeeds feeds) : Hub
{
    /// <summary>The client method that receives an operation's record after each change (see <see cref="FollowOperation"/>).</summary>
    public const string OperationChanged = "OperationChanged";

    /// <summary>The group of the connections following one operation.</summary>
    public static string OperationGroup(string operationId) => $"operation/{operationId}";

    /// <summary>
    /// Follows an operation's progress whichever replica runs it: answers its record now, then sends
    /// <see cref="OperationChanged"/> with the record after each change, until it ends. Replicas pass these messages to
    /// each other through the Redis backplane (<c>ControlPlane:SignalR:Redis</c>). Needs read access to the
    /// operation's cluster or stack, checked when following starts; an operation ends, so the follow does too.
    /// </summary>
    public async Task<Operation> FollowOperation(string operationId)
    {
        var operation = await operations.FindAsync(operationId, Context.ConnectionAborted)
            ?? throw new HubException($"No operation has the id '{operationId}'.");
        var scope = Api.OperationEndpoints.ScopeOf(operation);
        if (!await access.DemandAsync(Context.User!, Permissions.Clusters.Read, scope, Context.GetHttpContext()?.ClientAddress(), Context.ConnectionAborted))
        {
            throw new HubException($"You have no grant that lets you read {scope}.");
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, OperationGroup(operation.Id), Context.ConnectionAborted);
        return operation;
    }

    public const string TokenEnded = "The API token this stream was opened with was revoked or has expired; the stream ends.";

    public const string SessionEnded = "Your session was ended (a password change or a sign-out everywhere); sign in again.";

    public const string GrantsChanged = "Your grants changed; call Watch again to see what you may see now.";

    /// <summary>
    /// At most ten messages a second per stream, as pages render at most ten times a second: the interval at which a
    /// cluster's shared feed (<see cref="ClusterWatchFeeds"/>) gathers changes for all its streams.
    /// </summary>
    public static readonly TimeSpan MinMessageInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Objects per snapshot item: at 50,000 tasks one item of everything would be tens of megabytes to buffer and parse.</summary>
    public const int SnapshotChunkSize = 1000;

    /// <summary>
    /// Streams <see cref="ClusterWatchMessage"/>s for <paramref name="clusterId"/>: the whole snapshot first,
    /// in items of <see cref="SnapshotChunkSize"/> objects, then merged change batches until the client cancels the stream or disconnects.
    /// </summary>
    public async Task<IAsyncEnumerable<ClusterWatchMessage>> Watch(string clusterId, CancellationToken cancellationToken)
    {
        // Checked before the stream starts so the client's invocation fails with this message at once.
        var grants = await access.GrantsOfAsync(Context.User!, cancellationToken);
        var visibility = ClusterVisibility.For(grants, clusterId);
        if (!visibility.SeesAnything)
        {
            await access.AuditRefusalAsync(Context.User!.Actor(), Permissions.Clusters.Read, clusterId,
                Context.GetHttpContext()?.ClientAddress(), "hub Watch without a grant on this cluster");
            throw new HubException($"You have no grant on cluster '{clusterId}' or any of its stacks.");
        }
        if (store.GetState(clusterId) is null)
        {
            var known = string.Join(", ", ClusterVisibility.VisibleClusters(grants, store.Clusters).Select(c => $"'{c.Id}'"));
            throw new HubException($"Unknown cluster '{clusterId}'. Known clusters: {(known.Length > 0 ? known : "none")}.");
        }
        // Read now: the hub object is disposed once this method returns, while the stream goes on.
        var user = Context.User!;
        var address = Context.GetHttpContext()?.ClientAddress();
        return WhileAllowedAsync(user, address, grants, ClusterWatchStream.ReadAsync(feeds, clusterId, visibility, CancellationToken.None), cancellationToken);
    }

    /// <summary>
    /// Passes <paramref name="messages"/> on while the caller's sign-in and grants hold, checking every
    /// <see cref="SessionCheckOptions.RevalidationInterval"/>: a stream outlives the request that authenticated it, so
    /// without this a revoked token would keep watching for as long as its connection stayed open. A revoked sign-in or
    /// changed grants end the stream with the reason; the connection stays open.
    /// </summary>
    private async IAsyncEnumerable<ClusterWatchMessage> WhileAllowedAsync(
        System.Security.Claims.ClaimsPrincipal user, string? address, IReadOnlyList<Grant> grants, IAsyncEnumerable<ClusterWatchMessage> messages,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        string? ended = null;
        var check = Task.Run(async () =>
        {
            try
            {
                using var timer = new PeriodicTimer(options.Value.RevalidationInterval, time);
                while (ended is null && await timer.WaitForNextTickAsync(stop.Token))
                {
                    ended = !await sessions.IsCurrentAsync(user, stop.Token) ? (user.ApiTokenId() is null ? SessionEnded : TokenEnded)
                        : !(await access.GrantsOfAsync(user, stop.Token)).SequenceEqual(grants) ? GrantsChanged
                        : null;
                }
                await stop.CancelAsync();
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
        }, CancellationToken.None);
        await using var reader = messages.GetAsyncEnumerator(stop.Token);
        try
        {
            while (true)
            {
                try
                {
                    if (!await reader.MoveNextAsync())
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (ended is not null)
                {
                    break;
                }
                yield return reader.Current;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await check;
        }
        if (ended is not null)
        {
            await access.AuditRefusalAsync(user.Actor(), Permissions.Clusters.Read, "hub Watch", address, ended);
            throw new HubException(ended);
        }
    }
}
