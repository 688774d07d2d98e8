using System.Diagnostics;
using System.Security.Cryptography;
using AiSocial.Problems;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms.Text;

namespace AiSocial.Moderation.TextClassifier;

/// <summary>
/// How a version did on the posts held out from its training: precision and recall at a 0.5 threshold (precision is
/// null when no held-out post was predicted unsafe), ROC AUC, and the largest gap between ONNX Runtime's and ML.NET's
/// probability on those posts.
/// </summary>
public sealed record HeldOutMetrics(double? Precision, double Recall, double Auc, double OnnxMaxDifference);

/// <summary>A trained version before it is stored: its snapshot, held-out metrics and ONNX model.</summary>
internal sealed class TrainedTextClassifier
{
    private readonly MLContext _ml;
    private readonly ITransformer _model;
    private readonly Lock _engineLock = new();
    private PredictionEngine<TextClassifierTrainer.Example, TextClassifierTrainer.Prediction>? _engine;

    internal TrainedTextClassifier(MLContext ml, ITransformer model, TrainingSnapshot snapshot, HeldOutMetrics metrics, byte[] onnx, TimeSpan duration)
    {
        _ml = ml;
        _model = model;
        Snapshot = snapshot;
        Metrics = metrics;
        Onnx = onnx;
        OnnxSha256 = Convert.ToHexStringLower(SHA256.HashData(onnx));
        Duration = duration;
    }

    public TrainingSnapshot Snapshot { get; }

    public HeldOutMetrics Metrics { get; }

    public byte[] Onnx { get; }

    public string OnnxSha256 { get; }

    public TimeSpan Duration { get; }

    /// <summary>ML.NET's own probability for a (composed, unprepared) text: what the ONNX model must reproduce.</summary>
    public float PredictWithMlNet(string text)
    {
        lock (_engineLock)
        {
            _engine ??= _ml.Model.CreatePredictionEngine<TextClassifierTrainer.Example, TextClassifierTrainer.Prediction>(_model);
            return _engine.Predict(new TextClassifierTrainer.Example { Text = TextClassifierText.Prepare(text) }).Probability;
        }
    }
}

/// <summary>
/// Trains the classifier with ML.NET and exports it to ONNX. Only pieces that export faithfully are used (see
/// specs/models.md §4): lower-casing normaliser, word uni- and bigrams and character trigrams counted over a
/// vocabulary (no hashing, no IDF), each block L2-normalised, and logistic regression by L-BFGS on one thread, so the
/// same rows give the same model byte for byte. The exported graph takes one text per call (its word branch does not
/// batch).
/// </summary>
internal sealed class TextClassifierTrainer(TextClassifierOptions options)
{
    public const string Pipeline =
        "prepare; normalize(lower, keep diacritics); words 1-2 grams tf + chars 3-grams tf (with markers), each L2; lbfgs logistic regression";

    /// <summary>The locale the exported StringNormalizer is given: the one this machine image has.</summary>
    public const string OnnxLocale = "C.UTF-8";

    /// <summary>The held-out gap between ONNX Runtime and ML.NET above which an export is treated as broken.</summary>
    public const double MaxOnnxDifference = 1e-4;

    private const int Seed = 20_250_611;

    /// <summary>Trains on the rows (ordered by post id), evaluates on the held-out ones, and exports; refuses thin data.</summary>
    public Outcome<TrainedTextClassifier> Train(IReadOnlyList<TrainingRow> rows)
    {
        var stopwatch = Stopwatch.StartNew();
        var positives = rows.Count(r => r.Unsafe);
        if (rows.Count < options.MinimumLabelledPosts)
        {
            return new Refusal(ModerationProblems.TrainingRefused,
                $"Training needs at least {options.MinimumLabelledPosts} posts with a human label; there are {rows.Count}.");
        }

        if (positives < options.MinimumPerClass || rows.Count - positives < options.MinimumPerClass)
        {
            return new Refusal(ModerationProblems.TrainingRefused,
                $"Training needs at least {options.MinimumPerClass} posts of each class; there are {positives} taken down and {rows.Count - positives} approved.");
        }

        var snapshot = TrainingSnapshot.Of(rows, options.HeldOutPercent);
        if (snapshot.HeldOutPositives == 0 || snapshot.HeldOutPositives == snapshot.HeldOutRows ||
            snapshot.Positives == snapshot.HeldOutPositives || snapshot.Rows - snapshot.Positives == snapshot.HeldOutRows - snapshot.HeldOutPositives)
        {
            return new Refusal(ModerationProblems.TrainingRefused,
                "Both classes must appear among the training posts and among the held-out posts; label more posts.");
        }

        var ml = new MLContext(seed: Seed);
        var training = ml.Data.LoadFromEnumerable(Examples(rows, heldOut: false));
        var heldOut = ml.Data.LoadFromEnumerable(Examples(rows, heldOut: true));
        var model = BuildPipeline(ml).Fit(training);

        var evaluation = ml.BinaryClassification.Evaluate(model.Transform(heldOut));
        var onnx = Export(ml, model);
        var parity = MaxDifference(ml, model, heldOut, onnx);
        if (parity > MaxOnnxDifference)
        {
            throw new InvalidOperationException(
                $"The exported ONNX model disagrees with ML.NET by up to {parity:G3} on held-out posts; the export is broken.");
        }

        var metrics = new HeldOutMetrics(double.IsNaN(evaluation.PositivePrecision) ? null : evaluation.PositivePrecision,
            evaluation.PositiveRecall, evaluation.AreaUnderRocCurve, parity);
        return new TrainedTextClassifier(ml, model, snapshot, metrics, onnx, stopwatch.Elapsed);
    }

    private IEnumerable<Example> Examples(IReadOnlyList<TrainingRow> rows, bool heldOut) =>
        rows.Where(r => TrainingData.IsHeldOut(r.PostId, options.HeldOutPercent) == heldOut)
            .Select(r => new Example { Text = TextClassifierText.Prepare(r.Text), Label = r.Unsafe })
            .ToList();

    private static IEstimator<ITransformer> BuildPipeline(MLContext ml)
    {
        var text = ml.Transforms.Text;
        return text.NormalizeText("Normalized", nameof(Example.Text), TextNormalizingEstimator.CaseMode.Lower, keepDiacritics: true)
            .Append(text.TokenizeIntoWords("Words", "Normalized"))
            .Append(ml.Transforms.Conversion.MapValueToKey("WordKeys", "Words"))
            .Append(text.ProduceNgrams("WordGrams", "WordKeys", ngramLength: 2, useAllLengths: true,
                weighting: NgramExtractingEstimator.WeightingCriteria.Tf))
            .Append(ml.Transforms.NormalizeLpNorm("WordGrams"))
            .Append(text.TokenizeIntoCharactersAsKeys("Chars", "Normalized", useMarkerCharacters: true))
            .Append(text.ProduceNgrams("CharGrams", "Chars", ngramLength: 3, useAllLengths: false,
                weighting: NgramExtractingEstimator.WeightingCriteria.Tf))
            .Append(ml.Transforms.NormalizeLpNorm("CharGrams"))
            .Append(ml.Transforms.Concatenate("Features", "WordGrams", "CharGrams"))
            .Append(ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
            {
                LabelColumnName = nameof(Example.Label),
                FeatureColumnName = "Features",
                NumberOfThreads = 1,
                L1Regularization = 0.01f,
                L2Regularization = 0.1f,
            }));
    }

    private static byte[] Export(MLContext ml, ITransformer model)
    {
        using var stream = new MemoryStream();
        // The text-only input schema keeps the label out of the graph; only the probability is an output.
        ml.Model.ConvertToOnnx(model, ml.Data.LoadFromEnumerable(Array.Empty<Input>()), stream, nameof(Prediction.Probability));
        return OnnxStringNormalizerLocale.Set(stream.ToArray(), OnnxLocale);
    }

    private static double MaxDifference(MLContext ml, ITransformer model, IDataView heldOut, byte[] onnx)
    {
        using var exported = TextClassifierModel.Load(onnx);
        var texts = ml.Data.CreateEnumerable<Example>(heldOut, reuseRowObject: false).Select(e => e.Text).ToList();
        var probabilities = model.Transform(heldOut).GetColumn<float>(nameof(Prediction.Probability)).ToList();
        var max = 0.0;
        for (var i = 0; i < texts.Count; i++)
        {
            max = Math.Max(max, Math.Abs(exported.ScorePrepared(texts[i]) - probabilities[i]));
        }

        return max;
    }

    /// <summary>A training example: prepared text and whether reviewers took the post down.</summary>
    internal sealed class Example
    {
        public string Text { get; set; } = "";

        public bool Label { get; set; }
    }

    /// <summary>The exported graph's input schema.</summary>
    internal sealed class Input
    {
        public string Text { get; set; } = "";
    }

    internal sealed class Prediction
    {
        public float Probability { get; set; }
    }
}
