namespace AiSocial.AdminConsole.Components.Pages.Calibration.Components;

/// <summary>A threshold calibration suggests for one signal, under its policy key (<c>source/category</c>).</summary>
public sealed record CalibrationSuggestion(string Key, double Threshold);
