using ControlPlane.Core.Security;
using ControlPlane.Core.Workloads;

namespace ControlPlane.Core.Changes;

/// <summary>
/// The swarm's join tokens (DESIGN §6 "Workloads"): whoever holds one can add a node, so viewing them is a change of
/// its own kind, through the <see cref="ChangeGate"/> like every other (Admin of the cluster only, audited as viewed),
/// and rotating one makes the old token useless. A token never reaches an audit record, a log line or a message.
/// </summary>
public sealed class SwarmCommands(ChangeGate gate, IWorkloadChanges workloads)
{
    public static readonly IReadOnlyList<string> TokenRoles = ["worker", "manager"];

    /// <summary>Both join tokens and the managers' addresses; audited as "join tokens viewed", without them.</summary>
    public async Task<ChangeResult<JoinTokens>> ReadJoinTokensAsync(ChangeCaller caller, string clusterId, CancellationToken ct = default)
    {
        var intent = new ChangeIntent(Permissions.Swarm.JoinTokens, AccessTarget.InCluster(clusterId), "swarm.jointokens.view", "join tokens") { Exclusive = false };
        return await gate.PassAsync(caller, intent, async (_, token) =>
        {
            var tokens = await workloads.ReadJoinTokensAsync(clusterId, token);
            return new Acted<JoinTokens>(tokens, "Join tokens read.", Detail: "join tokens viewed");
        }, ct);
    }

    /// <summary>Rotates the <paramref name="role"/>'s join token; audited as rotated, without the new one.</summary>
    public async Task<ChangeResult> RotateJoinTokenAsync(ChangeCaller caller, string clusterId, string? role, CancellationToken ct = default)
    {
        var wanted = role?.Trim().ToLowerInvariant() ?? "";
        var intent = new ChangeIntent(Permissions.Swarm.JoinTokens, AccessTarget.InCluster(clusterId), "swarm.jointokens.rotate", "join tokens");
        var result = await gate.PassAsync(caller, intent, async (_, token) =>
        {
            if (!TokenRoles.Contains(wanted))
            {
                throw new ChangeRejectedException(ChangeFailure.Invalid, $"role '{role}' is not one of worker, manager.");
            }
            await workloads.RotateJoinTokenAsync(clusterId, wanted, token);
            return new Acted<bool>(true, $"The {wanted} join token was rotated; the old one no longer adds nodes.", Detail: $"{wanted} join token rotated");
        }, ct);
        return result.WithoutValue();
    }
}
