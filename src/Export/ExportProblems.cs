using AiSocial.Problems;

namespace AiSocial.Export;

/// <summary>The problems of dataset exports.</summary>
internal static class ExportProblems
{
    public static readonly Problem ExportTargetExists = new("export-target-exists", 409, "The export output already exists.");
}
