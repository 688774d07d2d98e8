using System.Diagnostics;
using System.Text.Json;
using AiSocial.SafetyModels;
using AiSocial.SafetyModels.Nsfw;
using AiSocial.SafetyModels.Ocr;
using AiSocial.SafetyModels.Pdq;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiSocial.Benchmarks;

/// <summary>
/// Throughput of the safety models through the project's own code, each beside a reference measured in the same run:
/// raw <c>InferenceSession.Run</c> on ready-made tensors, nsfwjs itself in Node, a linear scan for hash lookups.
/// </summary>
public static class ModelBenchmarks
{
    private const int BatchSize = 8;

    public static int Run()
    {
        // As the models commands do: ./aisocial sets Models__Directory to the directory it prepared.
        var directory = Environment.GetEnvironmentVariable("Models__Directory") ?? "";
        var manifest = ModelManifest.LoadVerified(directory);
        Console.WriteLine($"Models from {directory} ({Environment.ProcessorCount} cores). Best of 5 rounds each.");
        var images = BenchImages.Encoded(count: 16, width: 512, height: 384);
        var decoded = images.Select(ModelImages.Decode).ToList();
        try
        {
            Nsfw(manifest, directory, images, decoded);
            Ocr(manifest, directory, decoded);
            Pdq(decoded);
        }
        finally
        {
            decoded.ForEach(b => b.Dispose());
        }

        return 0;
    }

    private static void Nsfw(ModelManifest manifest, string directory, IReadOnlyList<byte[]> images, IReadOnlyList<SkiaSharp.SKBitmap> decoded)
    {
        Console.WriteLine($"\nNSFW classifier ({manifest.Get(ModelNames.Nsfw).Version}), {images.Count} images of 512×384, batches of {BatchSize}");
        using var classifier = NsfwClassifier.FromManifest(new ModelOptions { Directory = directory });
        var pipeline = Measure.Run("pipeline: decode + preprocess + ONNX Runtime", "images", images.Count, () =>
        {
            foreach (var chunk in images.Chunk(BatchSize))
            {
                var bitmaps = chunk.Select(ModelImages.Decode).ToList();
                classifier.Classify(bitmaps);
                bitmaps.ForEach(b => b.Dispose());
            }
        });
        var preprocessAndRun = Measure.Run("preprocess + ONNX Runtime (decoded images)", "images", decoded.Count, () =>
        {
            foreach (var chunk in decoded.Chunk(BatchSize))
            {
                classifier.Classify(chunk);
            }
        });

        // The reference: the same model file, a plain session, tensors made before the clock starts.
        using var session = new InferenceSession(Path.Combine(directory, manifest.Get(ModelNames.Nsfw).File));
        var tensor = new DenseTensor<float>([BatchSize, NsfwClassifier.Size, NsfwClassifier.Size, 3]);
        for (var i = 0; i < BatchSize; i++)
        {
            NsfwClassifier.PreprocessInto(decoded[i], tensor.Buffer.Span.Slice(i * NsfwClassifier.TensorLength, NsfwClassifier.TensorLength));
        }

        var inputs = new[] { NamedOnnxValue.CreateFromTensor(NsfwClassifier.InputName, tensor) };
        var raw = Measure.Run("raw InferenceSession.Run on ready tensors", "images", BatchSize, () =>
        {
            using var _ = session.Run(inputs);
        });

        var nsfwjs = NsfwjsInNode(decoded);
        Measure.Ratio("pipeline / raw ONNX Runtime", pipeline, raw);
        Measure.Ratio("preprocess + ONNX Runtime / raw ONNX Runtime", preprocessAndRun, raw);
        if (nsfwjs is not null)
        {
            Measure.Ratio("pipeline / nsfwjs in Node", pipeline, nsfwjs);
        }
    }

    private static Measure.Rate? NsfwjsInNode(IReadOnlyList<SkiaSharp.SKBitmap> decoded)
    {
        var nodeModules = Environment.GetEnvironmentVariable("AISOCIAL_NODE_MODULES");
        var tools = Environment.GetEnvironmentVariable("AISOCIAL_TOOLS_SCRIPTS");
        if (nodeModules is null || tools is null)
        {
            Console.WriteLine("  nsfwjs in Node: skipped (run through ./aisocial bench models)");
            return null;
        }

        var work = Directory.CreateTempSubdirectory("aisocial-bench-").FullName;
        try
        {
            var pixels = Path.Combine(work, "pixels.bin");
            using (var file = File.Create(pixels))
            {
                foreach (var bitmap in decoded)
                {
                    NsfwjsPixels.Write(file, bitmap);
                }
            }

            var result = Path.Combine(work, "bench.json");
            var start = new ProcessStartInfo("node", [Path.Combine(tools, "models", "nsfwjs-reference.cjs"), nodeModules, "--bench", pixels, "5", result])
            {
                RedirectStandardOutput = true, // tfjs prints a banner about its native backend
                RedirectStandardError = true,
            };
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                Console.WriteLine($"  nsfwjs in Node: failed (exit {process.ExitCode}): {error.Result}");
                return null;
            }

            using var json = JsonDocument.Parse(File.ReadAllText(result));
            var rate = new Measure.Rate("nsfwjs classify() in Node, tfjs CPU backend", json.RootElement.GetProperty("imagesPerSecond").GetDouble(), "images");
            Console.WriteLine($"  {rate}");
            return rate;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static void Ocr(ModelManifest manifest, string directory, IReadOnlyList<SkiaSharp.SKBitmap> decoded)
    {
        Console.WriteLine($"\nOCR ({manifest.Get(ModelNames.OcrDetection).Version}, {manifest.Get(ModelNames.OcrRecognition).Version}), the same images, one line of text each");
        using var engine = OcrEngine.FromManifest(new ModelOptions { Directory = directory });
        var lines = 0;
        var detection = TimeSpan.Zero;
        var recognition = TimeSpan.Zero;
        var images = 0;
        Measure.Run("detection + recognition where text was found", "images", decoded.Count, () =>
        {
            foreach (var bitmap in decoded)
            {
                var result = engine.Read(bitmap);
                lines += result.Lines.Count;
                detection += result.DetectionTime;
                recognition += result.RecognitionTime;
                images++;
            }
        }, rounds: 3, minSecondsPerRound: 2);
        Console.WriteLine($"  {"of which detection / recognition, ms per image",-52} {detection.TotalMilliseconds / images,7:N1} / {recognition.TotalMilliseconds / images:N1}");
    }

    private static void Pdq(IReadOnlyList<SkiaSharp.SKBitmap> decoded)
    {
        Console.WriteLine("\nPDQ");
        Measure.Run("hash 512×384 decoded images", "hashes", decoded.Count, () =>
        {
            foreach (var bitmap in decoded)
            {
                PdqHasher.Compute(bitmap);
            }
        });

        const int bankSize = 1_000_000;
        var random = new Random(31);
        var hashes = new PdqHash[bankSize];
        var ids = new long[bankSize];
        for (var i = 0; i < bankSize; i++)
        {
            hashes[i] = new PdqHash((ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64());
            ids[i] = i;
        }

        var build = Stopwatch.StartNew();
        var index = new PdqIndex();
        index.AddRange(hashes, ids);
        Console.WriteLine($"  {"build the index of 1M hashes",-52} {build.Elapsed.TotalSeconds,12:N2} s");

        // Half the queries are near copies of banked hashes (distance up to 31), half match nothing.
        var queries = new PdqHash[1000];
        for (var q = 0; q < queries.Length; q++)
        {
            var hash = q % 2 == 0 ? hashes[random.Next(bankSize)] : new PdqHash((ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64());
            for (var flips = random.Next(32); flips > 0; flips--)
            {
                var bit = random.Next(256);
                hash ^= new PdqHash(bit < 64 ? 1UL << bit : 0, bit is >= 64 and < 128 ? 1UL << (bit - 64) : 0, bit is >= 128 and < 192 ? 1UL << (bit - 128) : 0, bit >= 192 ? 1UL << (bit - 192) : 0);
            }

            queries[q] = hash;
        }

        var found = 0;
        var indexed = Measure.Run("bank lookups at 1M, distance ≤ 31 (multi-index)", "lookups", queries.Length, () =>
        {
            foreach (var query in queries)
            {
                found += index.Find(query).Count;
            }
        }, rounds: 3);
        var linear = Measure.Run("bank lookups at 1M, linear scan (reference)", "lookups", 20, () =>
        {
            for (var q = 0; q < 20; q++)
            {
                for (var i = 0; i < hashes.Length; i++)
                {
                    if (hashes[i].DistanceTo(queries[q]) <= PdqIndex.DefaultMaxDistance)
                    {
                        found++;
                    }
                }
            }
        }, rounds: 3);
        Measure.Ratio("multi-index / linear scan", indexed, linear);
        GC.KeepAlive(found);
    }
}
