using AiSocial.SafetyModels;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiSocial.Moderation.TextClassifier;

/// <summary>
/// One exported version in ONNX Runtime. The graph takes a [1, 1] string tensor (one text per call) and gives the
/// probability of unsafe as a [1, 1] float tensor named after ML.NET's <c>Probability</c> column. Thread-safe.
/// </summary>
internal sealed class TextClassifierModel : IDisposable
{
    private static readonly long[] Shape = [1, 1];

    private readonly InferenceSession _session;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();

    private TextClassifierModel(InferenceSession session, string input, string output)
    {
        _session = session;
        _inputNames = [input];
        _outputNames = [output];
    }

    /// <summary>Loads an exported model; throws <see cref="ModelUnavailableException"/> if it is not one this class can run.</summary>
    public static TextClassifierModel Load(byte[] onnx, int intraOpThreads = 0)
    {
        InferenceSession session;
        try
        {
            using var options = new SessionOptions { IntraOpNumThreads = intraOpThreads, InterOpNumThreads = 1 };
            session = new InferenceSession(onnx, options);
        }
        catch (OnnxRuntimeException exception)
        {
            throw new ModelUnavailableException($"The text classifier's ONNX model cannot be loaded: {exception.Message}", exception);
        }

        var inputs = session.InputMetadata.Where(i => i.Value.ElementDataType == TensorElementType.String).ToList();
        // ML.NET names an exported column's output "<column>.output".
        var outputs = session.OutputMetadata
            .Where(o => o.Value.ElementDataType == TensorElementType.Float && o.Key.Split('.')[0] == nameof(TextClassifierTrainer.Prediction.Probability))
            .ToList();
        if (session.InputMetadata.Count != 1 || inputs.Count != 1 || outputs.Count != 1)
        {
            var found = string.Join(", ", session.InputMetadata.Keys) + " → " + string.Join(", ", session.OutputMetadata.Keys);
            session.Dispose();
            throw new ModelUnavailableException(
                $"The text classifier's ONNX model should take one string input and give a float Probability output; it has {found}.");
        }

        return new TextClassifierModel(session, inputs[0].Key, outputs[0].Key);
    }

    /// <summary>The probability (0–1) that a post's composed text is unsafe.</summary>
    public float Score(string text) => ScorePrepared(TextClassifierText.Prepare(text));

    /// <summary>Scores text already passed through <see cref="TextClassifierText.Prepare"/>.</summary>
    public float ScorePrepared(string prepared)
    {
        using var input = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, Shape);
        input.StringTensorSetElementAt(prepared.AsSpan(), 0);
        using var outputs = _session.Run(_runOptions, _inputNames, [input], _outputNames);
        var probability = outputs[0].GetTensorDataAsSpan<float>()[0];
        return float.IsFinite(probability)
            ? probability
            : throw new InvalidOperationException($"The text classifier returned {probability}, not a probability.");
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}
