using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace ControlPlane.Core.State;

/// <summary>
/// Lists derived from one immutable <see cref="ClusterState"/> (say, every service in the Services page's order),
/// computed once per state and shared by every browser that shows that state, rather than built and held once
/// per circuit: at 10,000 services that copy is what a page would cost each open browser (DESIGN §11).
/// </summary>
/// <remarks>
/// Keyed weakly by the state object: the cache goes with the state when no page holds it any more. Callers who
/// see everything share the store's own state object; a stack-scoped caller's view is its own object, so their
/// lists are theirs. A view must be a pure function of the state.
/// </remarks>
public static class SharedViews
{
    private static readonly ConditionalWeakTable<ClusterState, ConcurrentDictionary<string, object>> Views = [];

    public static T Of<T>(ClusterState state, string name, Func<ClusterState, T> build) where T : class =>
        (T)Views.GetOrCreateValue(state).GetOrAdd(name, static (_, arg) => arg.build(arg.state), (state, build));
}
