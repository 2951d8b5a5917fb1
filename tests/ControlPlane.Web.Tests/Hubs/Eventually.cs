using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ControlPlane.Web.Tests.Hubs;

/// <summary>Waits for an in-process condition (a store count, a status) instead of sleeping and hoping.</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<bool> condition, TimeSpan timeout,
        [CallerArgumentExpression(nameof(condition))] string description = "")
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"`{description}` did not hold within {timeout.TotalSeconds:0}s.");
            }
            await timer.WaitForNextTickAsync();
        }
    }
}
