using AiSocial.Moderation.TextClassifier;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Text;

namespace AiSocial.Moderation.Tests.TextClassifier;

public sealed class OnnxStringNormalizerLocaleTests
{
    public sealed class Row
    {
        public string Text { get; set; } = "";
    }

    private static (MLContext Ml, ITransformer Model, byte[] Onnx) ExportNormalizer()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "Some Text" } });
        var model = ml.Transforms.Text.NormalizeText("Normalized", "Text", TextNormalizingEstimator.CaseMode.Lower, keepDiacritics: true).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(model, data, stream, "Normalized");
        return (ml, model, stream.ToArray());
    }

    [Fact]
    public void The_locale_ml_net_leaves_out_is_set_and_setting_it_again_replaces_it()
    {
        var (_, _, exported) = ExportNormalizer();

        var patched = OnnxStringNormalizerLocale.Set(exported, "C.UTF-8");
        var repatched = OnnxStringNormalizerLocale.Set(OnnxStringNormalizerLocale.Set(patched, "xx_YY.UTF-8"), "C.UTF-8");

        Assert.Equal([null], OnnxStringNormalizerLocale.Read(exported));
        Assert.Equal(["C.UTF-8"], OnnxStringNormalizerLocale.Read(patched));
        Assert.Equal(patched, repatched);
    }

    [Fact]
    public void A_model_without_a_string_normalizer_or_not_a_model_at_all_is_refused()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new Row { Text = "a b" } });
        using var stream = new MemoryStream();
        ml.Model.ConvertToOnnx(ml.Transforms.Text.TokenizeIntoWords("Words", "Text").Fit(data), data, stream);

        Assert.Contains("no StringNormalizer", Assert.Throws<InvalidDataException>(() => OnnxStringNormalizerLocale.Set(stream.ToArray(), "C.UTF-8")).Message);
        Assert.Throws<InvalidDataException>(() => OnnxStringNormalizerLocale.Set([0x3A, 0xFF, 0x01], "C.UTF-8"));
    }

    [Fact]
    public void On_prepared_text_onnx_runtime_normalises_every_bmp_character_exactly_as_ml_net_does()
    {
        var (ml, model, exported) = ExportNormalizer();
        var texts = Enumerable.Range(0, 0x10000)
            .Where(c => !char.IsSurrogate((char)c))
            .Select(c => TextClassifierText.Prepare($"X{(char)c}Y"))
            .ToArray();

        var expected = model.Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new Row { Text = t })))
            .GetColumn<string>("Normalized").ToArray();
        using var session = new InferenceSession(OnnxStringNormalizerLocale.Set(exported, "C.UTF-8"));
        using var input = OrtValue.CreateFromStringTensor(new Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<string>(texts, [texts.Length, 1]));
        using var outputs = session.Run(new RunOptions(), new Dictionary<string, OrtValue> { ["Text"] = input }, [session.OutputMetadata.Keys.Single()]);

        var differing = Enumerable.Range(0, texts.Length).Where(i => outputs[0].GetStringElement(i) != expected[i])
            .Select(i => $"U+{(int)texts[i][1]:X4}").Take(10).ToList();
        Assert.Empty(differing);
        Assert.Equal("xéy", expected[Array.IndexOf(texts, "xéy")]);
    }
}
