namespace ControlPlane.Core.Images;

/// <summary>
/// Reading a manager again and again while Docker moves something (tasks have no events, DESIGN §3): how often, and
/// how a read waits out a manager that does not answer for a moment. Shared by the rollout follow and the pull jobs.
/// </summary>
public static class ManagerPolling
{
    /// <summary>How often the manager is read: short, because success is reported as soon as Docker reports it.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    /// <summary>Reads in a row that may fail (about 10 s) before a poll gives up on the manager.</summary>
    public const int MaxUnreadable = 40;

    /// <summary>
    /// Reads the manager, waiting out one that does not answer for a moment (an election, a restart): a read that
    /// fails is tried again <see cref="Interval"/> later, up to <see cref="MaxUnreadable"/> failures in a row.
    /// </summary>
    internal static async Task<T> ReadPatientlyAsync<T>(Func<Task<T>> read, Func<Exception, bool> retryable, Func<Exception, Task>? missed, TimeProvider time, CancellationToken cancellationToken)
    {
        for (var unreadable = 1; ; unreadable++)
        {
            try
            {
                return await read();
            }
            catch (Exception ex) when (ex is not OperationCanceledException && retryable(ex) && unreadable < MaxUnreadable)
            {
                if (missed is not null)
                {
                    await missed(ex);
                }
                await WaitAsync(time, cancellationToken);
            }
        }
    }

    /// <summary>Waits one <see cref="Interval"/> before the next read.</summary>
    internal static Task WaitAsync(TimeProvider time, CancellationToken cancellationToken) => Task.Delay(Interval, time, cancellationToken);
}
