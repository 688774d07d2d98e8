using System.Security.Cryptography;
using AiSocial.Moderation.Checks;
using AiSocial.Moderation.Models;
using AiSocial.Moderation.Models.Nsfw;
using AiSocial.Moderation.Models.Onnx;
using AiSocial.Testing;
using SkiaSharp;

namespace AiSocial.Moderation.Tests.Models.Nsfw;

[Collection(NsfwModelCollection.Name)]
public sealed class NsfwClassifierTests(NsfwModelFixture model)
{
    private static CheckSubject Subject(byte[] image) => new(Convert.ToHexStringLower(SHA256.HashData(image)), image, []);

    [Fact]
    public void Classifying_in_batches_gives_what_classifying_one_at_a_time_gives()
    {
        // 18 images: more than one batch of 16, in varied sizes.
        var subjects = Enumerable.Range(0, 18).Select(i => Subject(TestImages.Png(40 + (i * 23), 30 + (i * 17), seed: i))).ToList();
        try
        {
            var images = subjects.Select(s => s.Image).ToList();
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
            subjects.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Bgra_and_premultiplied_bitmaps_preprocess_as_the_rgba_pixels_they_hold()
    {
        using var subject = Subject(TestImages.Png(300, 200, seed: 4));
        var rgba = NsfwClassifier.Preprocess(subject.Image);
        using var bgra = subject.Image.Copy(SKColorType.Bgra8888);
        using var premultiplied = new SKBitmap(new SKImageInfo(300, 200, SKColorType.Rgba8888, SKAlphaType.Premul));
        Assert.True(subject.Image.CopyTo(premultiplied));

        Assert.Equal(SKColorType.Bgra8888, bgra.ColorType);
        Assert.Equal(rgba, NsfwClassifier.Preprocess(bgra));
        Assert.Equal(rgba, NsfwClassifier.Preprocess(premultiplied));
        Assert.Contains(rgba, v => v is > 0.1f and < 0.9f);
    }

    [Fact]
    public void Input_of_the_wrong_size_is_refused()
    {
        using var subject = Subject(TestImages.Png());

        Assert.Throws<ArgumentException>(() => NsfwClassifier.PreprocessInto(subject.Image, new float[NsfwClassifier.TensorLength - 1]));
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

    [Fact]
    public async Task The_check_gives_one_signal_per_class_with_the_model_version()
    {
        var check = new NsfwCheck(LoadedModel<NsfwClassifier>.Of(model.Classifier));
        using var subject = Subject(TestImages.Jpeg(500, 320, seed: 9));

        var signals = await check.RunAsync(subject, CancellationToken.None);

        var expected = model.Classifier.Classify(subject.Image);
        Assert.Equal(["drawing", "hentai", "neutral", "porn", "sexy"], signals.Select(s => s.Category));
        Assert.All(signals, s => Assert.Equal(("nsfw", model.Classifier.ModelVersion), (s.Source, s.ModelVersion)));
        Assert.Equal(expected.ToArray().Select(p => (double)p), signals.Select(s => s.Score));
        Assert.Equal(1.0, signals.Sum(s => s.Score), 5);
    }

    [Fact]
    public async Task Without_a_prepared_model_the_check_is_unavailable_until_one_is_prepared()
    {
        var directory = Directory.CreateTempSubdirectory("aisocial-models-").FullName;
        try
        {
            using var provider = new LoadedModel<NsfwClassifier>(() => NsfwClassifier.FromManifest(new ModelOptions { Directory = directory }));
            var runner = new CheckRunner([new NsfwCheck(provider)]);
            using var subject = Subject(TestImages.Png());

            var before = Assert.Single(await runner.RunAsync(subject, CancellationToken.None));
            Assert.False(before.Available);
            Assert.Contains(nameof(ModelUnavailableException), before.UnavailableReason);
            Assert.Empty(before.Signals);

            File.Copy(model.OnnxPath, Path.Combine(directory, "nsfw.onnx"));
            var entry = new ModelEntry(ModelNames.Nsfw, "4.4.0-test", "nsfw.onnx", ModelManifest.Sha256Of(Path.Combine(directory, "nsfw.onnx")),
                new ModelSource("nsfwjs", "4.4.0", "dist/models/mobilenet_v2"), [], [], NsfwScores.Labels);
            new ModelManifest(ModelManifest.CurrentFormat, [entry]).Save(directory);

            var after = Assert.Single(await runner.RunAsync(subject, CancellationToken.None));
            Assert.True(after.Available, after.UnavailableReason);
            Assert.Equal(5, after.Signals.Count);
            Assert.All(after.Signals, s => Assert.Equal("4.4.0-test", s.ModelVersion));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
