using Microsoft.ML.OnnxRuntime;

namespace AiSocial.SafetyModels.Ocr;

internal static class OcrSessions
{
    /// <summary>The single input and output of a model, checked to have the rank OCR expects.</summary>
    public static (string Input, string Output, int[] OutputShape) Describe(InferenceSession session, string path, int inputRank, int outputRank)
    {
        if (session.InputMetadata.Count != 1 || session.OutputMetadata.Count != 1)
        {
            throw new ModelUnavailableException($"Model file {path} should have one input and one output.");
        }

        var (input, inputMeta) = session.InputMetadata.First();
        var (output, outputMeta) = session.OutputMetadata.First();
        if (inputMeta.ElementType != typeof(float) || inputMeta.Dimensions.Length != inputRank || outputMeta.Dimensions.Length != outputRank)
        {
            throw new ModelUnavailableException(
                $"Model file {path} takes {inputMeta.ElementType.Name}[{string.Join(',', inputMeta.Dimensions)}] and gives "
                + $"[{string.Join(',', outputMeta.Dimensions)}]; OCR needs float of rank {inputRank} in and rank {outputRank} out.");
        }

        return (input, output, outputMeta.Dimensions);
    }

    /// <summary>Runs a model on one float tensor, turning a cancellation (which stops ONNX Runtime mid-run) into the usual exception.</summary>
    public static IDisposableReadOnlyCollection<OrtValue> Run(
        InferenceSession session, string input, string output, Memory<float> data, long[] shape, RunOptions runOptions, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var tensor = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data, shape);
        try
        {
            return session.Run(runOptions, [input], [tensor], [output]);
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }
}
