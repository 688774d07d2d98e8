using AiSocial.Problems;

namespace AiSocial.Export;

/// <summary>The problems of dataset exports.</summary>
internal static class ExportProblems
{
    public static readonly Problem ExportTargetExists = new("export-target-exists", 409, "The export output already exists.");

    public static readonly Problem DatasetExists = new("dataset-exists", 409, "A dataset with this name already exists.");

    public static readonly Problem RunInProgress = new("export-run-in-progress", 409, "A run of this dataset is already running; one runs at a time.");

    public static readonly Problem RunNotRunning = new("export-run-not-running", 409, "The run has already ended.");
}
