using MudBlazor;

namespace ControlPlane.Web.Components.Layout;

/// <summary>
/// ControlPlane's colours, light and dark. Every colour text is drawn in (state chips, secondary text, links)
/// keeps a contrast of at least 4.5:1 on the surface and background of its mode (WCAG 2.1 AA, checked by
/// the axe browser test); MudBlazor's own greens and oranges do not.
/// </summary>
public static class ControlPlaneTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1d5fa8",
            AppbarBackground = "#14375f",
            Background = "#f5f7fa",
            Info = "#0b63b0",
            Success = "#1b7a3a",
            Warning = "#a35200",
            Error = "#c62828",
            TextSecondary = "rgba(0,0,0,0.70)",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#7db4f3",
            PrimaryContrastText = "#10161f",
            AppbarBackground = "#101c2c",
            Info = "#90caf9",
            InfoContrastText = "#10161f",
            Success = "#4cd48a",
            SuccessContrastText = "#10161f",
            Warning = "#ffb74d",
            WarningContrastText = "#10161f",
            Error = "#ff8a80",
            ErrorContrastText = "#10161f",
            TextSecondary = "rgba(255,255,255,0.74)",
        },
    };
}
