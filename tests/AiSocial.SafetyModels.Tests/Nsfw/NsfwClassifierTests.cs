using AiSocial.SafetyModels.Nsfw;
using AiSocial.SafetyModels.Onnx;
using AiSocial.Testing;
using SkiaSharp;

namespace AiSocial.SafetyModels.Tests.Nsfw;

[Collection(NsfwModelCollection.Name)]
public sealed class NsfwClassifierTests(NsfwModelFixture model)
{
    [Fact]
    public void Classifying_in_batches_gives_what_classifying_one_at_a_time_gives()
    {
        // 18 images: more than one batch of 16, in varied sizes.
        var images = Enumerable.Range(0, 18).Select(i => ModelImages.Decode(TestImages.Png(40 + (i * 23), 30 + (i * 17), seed: i))).ToList();
        try
        {
            var batched = model.Classifier.Classify(images);

            Assert.Equal(images.Count, batched.Count);
            for (var i = 0; i < images.Count; i++)
            {
                var single = model.Classifier.Classify(images[i]).ToArray();
                var inBatch = batched[i].ToArray();
                Assert.All(Enumerable.Range(0, 5), c => Assert.True(Math.Abs(single[c] - inBatch[c]) < 1e-5, $"image {i} class {c}: {single[c]} vs {inBatch[c]}"));
                Assert.Equal(1.0, inBatch.Sum(), 5);
            }

            Assert.True(batched.Select(s => s.Neutral).Distinct().Count() > 10, "different images should score differently");
        }
        finally
        {
            images.ForEach(image => image.Dispose());
        }
    }

    [Fact]
    public void Bgra_and_premultiplied_bitmaps_preprocess_as_the_rgba_pixels_they_hold()
    {
        using var image = ModelImages.Decode(TestImages.Png(300, 200, seed: 4));
        var rgba = NsfwClassifier.Preprocess(image);
        using var bgra = image.Copy(SKColorType.Bgra8888);
        using var premultiplied = new SKBitmap(new SKImageInfo(300, 200, SKColorType.Rgba8888, SKAlphaType.Premul));
        Assert.True(image.CopyTo(premultiplied));

        Assert.Equal(SKColorType.Bgra8888, bgra.ColorType);
        Assert.Equal(rgba, NsfwClassifier.Preprocess(bgra));
        Assert.Equal(rgba, NsfwClassifier.Preprocess(premultiplied));
        Assert.Contains(rgba, v => v is > 0.1f and < 0.9f);
    }

    [Fact]
    public void Input_of_the_wrong_size_is_refused()
    {
        using var image = ModelImages.Decode(TestImages.Png());

        Assert.Throws<ArgumentException>(() => NsfwClassifier.PreprocessInto(image, new float[NsfwClassifier.TensorLength - 1]));
        Assert.Throws<ArgumentException>(() => model.Classifier.ClassifyTensor(new float[NsfwClassifier.TensorLength + 3]));
        Assert.Throws<ArgumentException>(() => model.Classifier.ClassifyTensor(Array.Empty<float>()));
    }

    [Fact]
    public void A_file_that_is_not_the_nsfw_model_is_unavailable()
    {
        var garbage = Path.Combine(model.Scratch, "garbage.onnx");
        File.WriteAllBytes(garbage, TestImages.Text);

        var otherModel = Path.Combine(model.Scratch, "other.onnx");
        var builder = new OnnxModelBuilder("other");
        builder.AddInput("input", "N", 5);
        builder.AddNode("Softmax", ["input"], ["probabilities"]);
        builder.AddOutput("probabilities", "N", 5);
        File.WriteAllBytes(otherModel, builder.ToBytes());

        Assert.Throws<ModelUnavailableException>(() => new NsfwClassifier(garbage, "1"));
        Assert.Contains("[N, 224, 224, 3]", Assert.Throws<ModelUnavailableException>(() => new NsfwClassifier(otherModel, "1")).Message);
        Assert.Throws<ModelUnavailableException>(() => new NsfwClassifier(Path.Combine(model.Scratch, "missing.onnx"), "1"));
    }
}
