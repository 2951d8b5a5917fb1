using MudBlazor;

namespace ControlPlane.Web.Components.Layout;

/// <summary>ControlPlane's colours, light and dark.</summary>
public static class ControlPlaneTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1d5fa8",
            AppbarBackground = "#14375f",
            Background = "#f5f7fa",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#6aa8f0",
            AppbarBackground = "#101c2c",
        },
    };
}
