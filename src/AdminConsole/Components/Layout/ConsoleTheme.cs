using MudBlazor;

namespace AiSocial.AdminConsole.Components.Layout;

public static class ConsoleTheme
{
    // System fonts only: the console must render with no internet.
    public static readonly MudTheme Theme = new()
    {
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "DejaVu Sans", "sans-serif"] },
        },
    };
}
