using System.Diagnostics;

namespace ControlPlane.Web.Tests.Infrastructure;

/// <summary>
/// <c>docker stack rm</c> as an operator runs it: again while it fails on a network still in use. The CLI removes a
/// stack's services and then at once their networks, without waiting for the services' tasks to stop; on a busy
/// machine the tasks are still attached and the CLI fails, leaving the networks for the next run to remove.
/// </summary>
public static class CliStackRemoval
{
    /// <summary>Runs <paramref name="remove"/> (which throws with the CLI's error when it fails) until it succeeds, for up to a minute.</summary>
    public static async Task RunAsync(Func<Task> remove)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await remove();
                return;
            }
            catch (Exception ex) when (ex.Message.Contains("in use", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromMinutes(1))
            {
                await Task.Delay(1000);
            }
        }
    }
}
