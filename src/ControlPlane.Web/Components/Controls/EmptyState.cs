using ControlPlane.Core.Model;
using ControlPlane.Core.State;

namespace ControlPlane.Web.Components.Controls;

/// <summary>
/// What an empty list says. An empty table alone cannot tell "not listed yet" from "there is none" from
/// "your filter hides everything", and each calls for a different reaction.
/// </summary>
public static class EmptyState
{
    public const string Waiting = "Waiting for the first listing of the cluster…";

    /// <param name="state">The cluster the list shows.</param>
    /// <param name="kind">What the list holds, to tell whether anything of it is known.</param>
    /// <param name="noMatch">Said when objects exist but the filters hide them all.</param>
    /// <param name="noneYet">Said when the cluster is listed and has none; best with a hint on how to make one.</param>
    public static string Text(ClusterState state, ResourceKind kind, string noMatch, string noneYet) =>
        state.Count(kind) > 0 ? noMatch
        : state.Cluster.Status != ClusterStatus.Synced ? Waiting
        : noneYet;
}
