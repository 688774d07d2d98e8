using Microsoft.ML.OnnxRuntime;

namespace AiSocial.SafetyModels;

/// <summary>How every prepared model file is opened: full graph optimisation, the configured thread count, clear errors.</summary>
internal static class ModelSessions
{
    /// <summary>One session per model, shared by every caller (ONNX Runtime sessions are safe to run concurrently).</summary>
    public static InferenceSession Open(string path, int intraOpThreads)
    {
        if (!File.Exists(path))
        {
            throw new ModelUnavailableException($"Model file {path} is missing; run ./aisocial models.");
        }

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (intraOpThreads > 0)
        {
            options.IntraOpNumThreads = intraOpThreads;
        }

        try
        {
            return new InferenceSession(path, options);
        }
        catch (Exception exception) when (exception is OnnxRuntimeException or IOException)
        {
            throw new ModelUnavailableException($"Model file {path} cannot be loaded: {exception.Message}", exception);
        }
    }
}
