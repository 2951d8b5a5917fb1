using ControlPlane.Core.Changes;
using ControlPlane.Core.Operations;

namespace ControlPlane.Web.Components.Controls;

/// <summary>
/// What a panel that starts operations shows about the last start: busy while it is asked for, the refusal if
/// there was one, otherwise the operation to follow. One place for the start, refusal and progress handling.
/// </summary>
public sealed class OperationLaunch
{
    /// <summary>True while a start is being asked for (buttons that start are disabled).</summary>
    public bool Busy { get; private set; }

    /// <summary>Why the last start was refused; null after a start that went through.</summary>
    public string? Refusal { get; private set; }

    /// <summary>The operation last started (kept when a later start is refused).</summary>
    public string? OperationId { get; set; }

    /// <summary>Asks for a start; true when the operation started.</summary>
    public async Task<bool> StartAsync(Func<Task<ChangeResult>> start)
    {
        Busy = true;
        Refusal = null;
        try
        {
            var result = await start();
            if (result.Started)
            {
                OperationId = result.OperationId;
                return true;
            }
            Refusal = result.Message;
            return false;
        }
        finally
        {
            Busy = false;
        }
    }
}
