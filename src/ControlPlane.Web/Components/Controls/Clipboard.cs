using Microsoft.JSInterop;
using MudBlazor;

namespace ControlPlane.Web.Components.Controls;

/// <summary>Copies text to the browser's clipboard and says so (or why not) in a snackbar: one per circuit.</summary>
public sealed class Clipboard(IJSRuntime js, ISnackbar snackbar)
{
    public async Task CopyAsync(string text)
    {
        try
        {
            await js.InvokeVoidAsync("navigator.clipboard.writeText", text);
            snackbar.Add("Copied to the clipboard", Severity.Normal, o => o.VisibleStateDuration = 1500);
        }
        catch (JSException)
        {
            snackbar.Add("The browser refused the clipboard; select the id on hover instead", Severity.Warning);
        }
    }
}
