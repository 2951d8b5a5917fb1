using AngleSharp.Dom;
using Bunit;
using Microsoft.AspNetCore.Components;

namespace ControlPlane.Web.Tests.Components;

/// <summary>Finds the input or text area a MudBlazor field with a test id renders (the id lands on the field's wrapper or on the input itself).</summary>
internal static class FormFields
{
    public static IElement Field<T>(this IRenderedComponent<T> cut, string testId) where T : IComponent
    {
        var element = cut.Find($"[data-testid={testId}]");
        return element.TagName is "INPUT" or "TEXTAREA" ? element : element.QuerySelector("input, textarea")!;
    }

    /// <summary>The message box's confirming button (MudBlazor's ShowMessageBoxAsync).</summary>
    public const string MessageBoxYes = ".mud-message-box__yes-button";
}
