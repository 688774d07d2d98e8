using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace AiSocial.SafetyModels.Pdq;

/// <summary>A PDQ hash and its quality (0–100; a flat, featureless image scores near 0).</summary>
public readonly record struct PdqResult(PdqHash Hash, int Quality)
{
    /// <summary>PDQ's advice: hashes of quality 49 or less carry too little structure to match on.</summary>
    public const int MinimumUsableQuality = 50;

    public bool IsUsable => Quality >= MinimumUsableQuality;
}

/// <summary>
/// Meta's PDQ perceptual hash (hashing.pdf in facebook/ThreatExchange): luminance; two passes of Jarosz box filters
/// (window about 1/128 of each side, making a tent filter); 64×64 samples; the 16×16 lowest non-constant DCT
/// coefficients; one bit per coefficient above their median. Thread-safe.
/// </summary>
public static class PdqHasher
{
    /// <summary>
    /// Larger images are first averaged down until their longer side is this long, as PDQ's authors recommend for
    /// large photos; it also bounds the time and memory one image takes.
    /// </summary>
    public const int MaxSide = 512;

    private const int BlockSide = 64;
    private const int DctSide = 16;
    private const int WindowDivisor = 2 * BlockSide;
    private const int FilterPasses = 2;

    // The DCT-II basis for frequencies 1–16 on 64 samples (frequency 0, the mean, carries no structure).
    private static readonly float[] DctMatrix = BuildDctMatrix();

    // Luminance (ITU-R BT.601) contributions of each channel value, as tables: Y = 0.299 R + 0.587 G + 0.114 B.
    private static readonly float[] RedWeight = Weights(0.299f);
    private static readonly float[] GreenWeight = Weights(0.587f);
    private static readonly float[] BlueWeight = Weights(0.114f);

    /// <summary>Decodes an image file (any format SkiaSharp reads) and hashes it.</summary>
    public static PdqResult Compute(byte[] encodedImage)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        using var bitmap = ModelImages.Decode(encodedImage);
        return Compute(bitmap);
    }

    /// <summary>Hashes a decoded image. Alpha is ignored: transparent pixels count with their colour channels as stored.</summary>
    public static PdqResult Compute(SKBitmap bitmap)
    {
        Span<PdqResult> result = stackalloc PdqResult[1];
        Compute(bitmap, result);
        return result[0];
    }

    /// <summary>
    /// The hashes of the image's eight dihedral transforms (rotations and mirror images), in <see cref="DihedralNames"/>
    /// order; the first is <see cref="Compute(SKBitmap)"/>'s. PDQ's spec also allows deriving them from the one DCT
    /// (a flip negates odd frequencies, a transpose transposes), but the hash's sampling grid and even-width box
    /// filters are not symmetric, which measured 20–36 bits off on the reference photos; transforming the luminance
    /// image and filtering each copy again lands within a few bits, for the price of seven more filter passes
    /// (decoding and averaging down, the costly part, happen once).
    /// </summary>
    public static PdqResult[] ComputeDihedral(byte[] encodedImage)
    {
        ArgumentNullException.ThrowIfNull(encodedImage);
        using var bitmap = ModelImages.Decode(encodedImage);
        return ComputeDihedral(bitmap);
    }

    /// <inheritdoc cref="ComputeDihedral(byte[])"/>
    public static PdqResult[] ComputeDihedral(SKBitmap bitmap)
    {
        var results = new PdqResult[DihedralNames.Count];
        Compute(bitmap, results);
        return results;
    }

    /// <summary>What each of <see cref="ComputeDihedral(SKBitmap)"/>'s hashes is the hash of: the image so transformed (rotations clockwise).</summary>
    public static readonly IReadOnlyList<string> DihedralNames =
        ["original", "flipped left-right", "flipped top-bottom", "rotated 180", "transposed", "rotated 90", "rotated 270", "anti-transposed"];

    private static void Compute(SKBitmap bitmap, Span<PdqResult> results)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        if (bitmap.Width <= 0 || bitmap.Height <= 0)
        {
            throw new ArgumentException("The image has no pixels.", nameof(bitmap));
        }

        var info = bitmap.Info;
        if (info.ColorType is SKColorType.Rgba8888 or SKColorType.Bgra8888 && info.AlphaType is SKAlphaType.Opaque or SKAlphaType.Unpremul)
        {
            Compute(bitmap.GetPixelSpan(), bitmap.RowBytes, info.Width, info.Height, bgr: info.ColorType == SKColorType.Bgra8888, results);
            return;
        }

        // Any other layout is converted to unpremultiplied RGBA first.
        using var converted = new SKBitmap(new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        if (!bitmap.PeekPixels().ReadPixels(converted.PeekPixels()))
        {
            throw new ArgumentException($"Images of colour type {info.ColorType} cannot be hashed.", nameof(bitmap));
        }

        Compute(converted.GetPixelSpan(), converted.RowBytes, info.Width, info.Height, bgr: false, results);
    }

    private static void Compute(ReadOnlySpan<byte> pixels, int rowBytes, int width, int height, bool bgr, Span<PdqResult> results)
    {
        var scale = Math.Min(1.0, (double)MaxSide / Math.Max(width, height));
        var (lumaWidth, lumaHeight) = (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
        var size = lumaWidth * lumaHeight;
        var luma = ArrayPool<float>.Shared.Rent(size);
        var scratch = ArrayPool<float>.Shared.Rent(size);
        var columnSums = ArrayPool<float>.Shared.Rent(Math.Max(lumaWidth, lumaHeight));
        var transformed = results.Length > 1 ? ArrayPool<float>.Shared.Rent(size) : null;
        try
        {
            if (scale < 1.0)
            {
                ShrinkLuminance(pixels, rowBytes, width, height, bgr, luma.AsSpan(0, size), lumaWidth, lumaHeight);
            }
            else
            {
                for (var y = 0; y < height; y++)
                {
                    RowLuminance(pixels.Slice(y * rowBytes, width * 4), bgr, luma.AsSpan(y * width, width));
                }
            }

            // The transforms read the luminance before the first hash's filtering overwrites it.
            for (var transform = results.Length - 1; transform > 0; transform--)
            {
                var (width2, height2) = Transform(luma.AsSpan(0, size), lumaWidth, lumaHeight, transform, transformed!.AsSpan(0, size));
                results[transform] = FromLuminance(transformed!.AsSpan(0, size), scratch.AsSpan(0, size), columnSums.AsSpan(0, width2), width2, height2);
            }

            results[0] = FromLuminance(luma.AsSpan(0, size), scratch.AsSpan(0, size), columnSums.AsSpan(0, lumaWidth), lumaWidth, lumaHeight);
        }
        finally
        {
            if (transformed is not null)
            {
                ArrayPool<float>.Shared.Return(transformed);
            }

            ArrayPool<float>.Shared.Return(columnSums);
            ArrayPool<float>.Shared.Return(scratch);
            ArrayPool<float>.Shared.Return(luma);
        }
    }

    /// <summary>
    /// Writes transform <paramref name="transform"/> of the image into <paramref name="target"/> and returns its size:
    /// bit 2 transposes, then bit 0 mirrors left-right and bit 1 top-bottom (so 5 turns it a quarter clockwise).
    /// </summary>
    private static (int Width, int Height) Transform(ReadOnlySpan<float> source, int width, int height, int transform, Span<float> target)
    {
        var (transpose, mirrorColumns, mirrorRows) = ((transform & 4) != 0, (transform & 1) != 0, (transform & 2) != 0);
        var (targetWidth, targetHeight) = transpose ? (height, width) : (width, height);
        for (var y = 0; y < targetHeight; y++)
        {
            var sy = mirrorRows ? targetHeight - 1 - y : y;
            var row = target.Slice(y * targetWidth, targetWidth);
            for (var x = 0; x < targetWidth; x++)
            {
                var sx = mirrorColumns ? targetWidth - 1 - x : x;
                row[x] = transpose ? source[(sx * width) + sy] : source[(sy * width) + sx];
            }
        }

        return (targetWidth, targetHeight);
    }

    /// <summary>The hash of a luminance image (row-major, 0–255). Overwrites <paramref name="luma"/>.</summary>
    private static PdqResult FromLuminance(Span<float> luma, Span<float> scratch, Span<float> columnSums, int width, int height)
    {
        var windowAlongRows = (width + WindowDivisor - 1) / WindowDivisor;
        var windowAlongColumns = (height + WindowDivisor - 1) / WindowDivisor;
        for (var pass = 0; pass < FilterPasses; pass++)
        {
            BoxAlongRows(luma, scratch, width, height, windowAlongRows);
            BoxAlongColumns(scratch, luma, columnSums, width, height, windowAlongColumns);
        }

        Span<float> block = stackalloc float[BlockSide * BlockSide];
        Decimate(luma, width, height, block);
        var quality = Quality(block);
        Span<float> coefficients = stackalloc float[DctSide * DctSide];
        Dct(block, coefficients);
        return new PdqResult(Threshold(coefficients), quality);
    }

    // Pixels are read as little-endian words: byte 0 (red, or blue for BGRA) is the low byte.
    private static void RowLuminance(ReadOnlySpan<byte> row, bool bgr, Span<float> luma)
    {
        var (red, blue) = bgr ? (BlueWeight, RedWeight) : (RedWeight, BlueWeight);
        var pixels = MemoryMarshal.Cast<byte, uint>(row);
        for (var x = 0; x < luma.Length; x++)
        {
            var pixel = pixels[x];
            luma[x] = red[(int)(pixel & 0xFF)] + GreenWeight[(int)((pixel >> 8) & 0xFF)] + blue[(int)((pixel >> 16) & 0xFF)];
        }
    }

    // Averages the source pixels that fall in each target pixel (one pass over the source, channel sums kept as
    // integers), then takes their luminance: luminance is linear, so this is the average luminance.
    private static void ShrinkLuminance(ReadOnlySpan<byte> pixels, int rowBytes, int width, int height, bool bgr,
        Span<float> luma, int lumaWidth, int lumaHeight)
    {
        var binStarts = ArrayPool<int>.Shared.Rent(lumaWidth + 1);
        var sums = ArrayPool<long>.Shared.Rent(3 * lumaWidth);
        try
        {
            // Source column x belongs to target column x * lumaWidth / width; each target column is one run of them.
            for (var bin = 0; bin <= lumaWidth; bin++)
            {
                binStarts[bin] = (int)(((long)bin * width + lumaWidth - 1) / lumaWidth);
            }

            var (redWeight, blueWeight) = bgr ? (0.114f, 0.299f) : (0.299f, 0.114f);
            var y = 0;
            for (var target = 0; target < lumaHeight; target++)
            {
                var channelSums = sums.AsSpan(0, 3 * lumaWidth);
                channelSums.Clear();
                var rows = 0;
                for (; y < height && (int)((long)y * lumaHeight / height) == target; y++, rows++)
                {
                    var row = MemoryMarshal.Cast<byte, uint>(pixels.Slice(y * rowBytes, width * 4));
                    for (var bin = 0; bin < lumaWidth; bin++)
                    {
                        var (c0, c1, c2) = (0L, 0L, 0L);
                        foreach (var pixel in row[binStarts[bin]..binStarts[bin + 1]])
                        {
                            (c0, c1, c2) = (c0 + (pixel & 0xFF), c1 + ((pixel >> 8) & 0xFF), c2 + ((pixel >> 16) & 0xFF));
                        }

                        channelSums[3 * bin] += c0;
                        channelSums[(3 * bin) + 1] += c1;
                        channelSums[(3 * bin) + 2] += c2;
                    }
                }

                var output = luma.Slice(target * lumaWidth, lumaWidth);
                for (var bin = 0; bin < lumaWidth; bin++)
                {
                    var count = (float)(binStarts[bin + 1] - binStarts[bin]) * rows;
                    output[bin] = ((redWeight * channelSums[3 * bin]) + (0.587f * channelSums[(3 * bin) + 1])
                        + (blueWeight * channelSums[(3 * bin) + 2])) / count;
                }
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(sums);
            ArrayPool<int>.Shared.Return(binStarts);
        }
    }

    // One Jarosz box pass along each row: output x averages input [x - left, x + right], clipped to the row, where
    // the window is left + 1 + right wide with the extra sample on the right for even windows. Rows go in pairs so
    // two running sums advance together; one alone is bound by the latency of its additions.
    private static void BoxAlongRows(ReadOnlySpan<float> input, Span<float> output, int width, int height, int window)
    {
        if (window <= 1)
        {
            input.CopyTo(output);
            return;
        }

        var right = window / 2;
        var left = window - 1 - right;
        var y = 0;
        for (; y + 2 <= height; y += 2)
        {
            BoxRowPair(input.Slice(y * width, width), input.Slice((y + 1) * width, width),
                output.Slice(y * width, width), output.Slice((y + 1) * width, width), left, right);
        }

        if (y < height)
        {
            var row = input.Slice(y * width, width);
            BoxRowPair(row, row, output.Slice(y * width, width), output.Slice(y * width, width), left, right);
        }
    }

    private static void BoxRowPair(ReadOnlySpan<float> first, ReadOnlySpan<float> second, Span<float> firstOut, Span<float> secondOut,
        int left, int right)
    {
        var width = first.Length;
        var (sum1, sum2, count) = (0f, 0f, 0);
        for (var x = 0; x < right && x < width; x++)
        {
            (sum1, sum2, count) = (sum1 + first[x], sum2 + second[x], count + 1);
        }

        // Left edge: the window still grows.
        var x0 = 0;
        for (; x0 < width && x0 - left - 1 < 0; x0++)
        {
            if (x0 + right < width)
            {
                (sum1, sum2, count) = (sum1 + first[x0 + right], sum2 + second[x0 + right], count + 1);
            }

            (firstOut[x0], secondOut[x0]) = (sum1 / count, sum2 / count);
        }

        // Middle: full window, one sample in and one out.
        var scale = 1f / count;
        for (; x0 + right < width; x0++)
        {
            sum1 = sum1 + first[x0 + right] - first[x0 - left - 1];
            sum2 = sum2 + second[x0 + right] - second[x0 - left - 1];
            (firstOut[x0], secondOut[x0]) = (sum1 * scale, sum2 * scale);
        }

        // Right edge: the window shrinks.
        for (; x0 < width; x0++)
        {
            (sum1, sum2, count) = (sum1 - first[x0 - left - 1], sum2 - second[x0 - left - 1], count - 1);
            (firstOut[x0], secondOut[x0]) = (sum1 / count, sum2 / count);
        }
    }

    // The same pass down each column, all columns at once (row-sized vector operations keep it cache-friendly).
    private static void BoxAlongColumns(ReadOnlySpan<float> input, Span<float> output, Span<float> sums, int width, int height, int window)
    {
        if (window <= 1)
        {
            input.CopyTo(output);
            return;
        }

        var right = window / 2;
        var left = window - 1 - right;
        sums.Clear();
        var count = 0;
        for (var y = 0; y < right && y < height; y++)
        {
            Add(sums, input.Slice(y * width, width));
            count++;
        }

        for (var y = 0; y < height; y++)
        {
            if (y + right < height)
            {
                Add(sums, input.Slice((y + right) * width, width));
                count++;
            }

            if (y - left - 1 >= 0)
            {
                Subtract(sums, input.Slice((y - left - 1) * width, width));
                count--;
            }

            Scale(sums, 1f / count, output.Slice(y * width, width));
        }
    }

    private static void Add(Span<float> sums, ReadOnlySpan<float> row)
    {
        var vectorSums = MemoryMarshal.Cast<float, Vector<float>>(sums);
        var vectorRow = MemoryMarshal.Cast<float, Vector<float>>(row);
        for (var i = 0; i < vectorSums.Length; i++)
        {
            vectorSums[i] += vectorRow[i];
        }

        for (var i = vectorSums.Length * Vector<float>.Count; i < sums.Length; i++)
        {
            sums[i] += row[i];
        }
    }

    private static void Subtract(Span<float> sums, ReadOnlySpan<float> row)
    {
        var vectorSums = MemoryMarshal.Cast<float, Vector<float>>(sums);
        var vectorRow = MemoryMarshal.Cast<float, Vector<float>>(row);
        for (var i = 0; i < vectorSums.Length; i++)
        {
            vectorSums[i] -= vectorRow[i];
        }

        for (var i = vectorSums.Length * Vector<float>.Count; i < sums.Length; i++)
        {
            sums[i] -= row[i];
        }
    }

    private static void Scale(ReadOnlySpan<float> sums, float factor, Span<float> output)
    {
        var vectorSums = MemoryMarshal.Cast<float, Vector<float>>(sums);
        var vectorOutput = MemoryMarshal.Cast<float, Vector<float>>(output);
        for (var i = 0; i < vectorSums.Length; i++)
        {
            vectorOutput[i] = vectorSums[i] * factor;
        }

        for (var i = vectorSums.Length * Vector<float>.Count; i < sums.Length; i++)
        {
            output[i] = sums[i] * factor;
        }
    }

    // Samples the filtered image at the centres of a 64×64 grid.
    private static void Decimate(ReadOnlySpan<float> luma, int width, int height, Span<float> block)
    {
        Span<int> columns = stackalloc int[BlockSide];
        for (var j = 0; j < BlockSide; j++)
        {
            columns[j] = (int)((j + 0.5) * width / BlockSide);
        }

        for (var i = 0; i < BlockSide; i++)
        {
            var row = luma.Slice((int)((i + 0.5) * height / BlockSide) * width, width);
            var target = block.Slice(i * BlockSide, BlockSide);
            for (var j = 0; j < BlockSide; j++)
            {
                target[j] = row[columns[j]];
            }
        }
    }

    // Sum of neighbour differences on the 64×64 block, in percent of full scale, truncated per pair as PDQ defines it.
    private static int Quality(ReadOnlySpan<float> block)
    {
        var gradientSum = 0;
        for (var i = 0; i < BlockSide - 1; i++)
        {
            for (var j = 0; j < BlockSide; j++)
            {
                gradientSum += Math.Abs((int)((block[(i * BlockSide) + j] - block[((i + 1) * BlockSide) + j]) * 100f / 255f));
            }
        }

        for (var i = 0; i < BlockSide; i++)
        {
            for (var j = 0; j < BlockSide - 1; j++)
            {
                gradientSum += Math.Abs((int)((block[(i * BlockSide) + j] - block[(i * BlockSide) + j + 1]) * 100f / 255f));
            }
        }

        return Math.Min(100, gradientSum / 90);
    }

    // coefficients = D · block · Dᵀ with D the 16×64 basis.
    private static void Dct(ReadOnlySpan<float> block, Span<float> coefficients)
    {
        Span<float> partial = stackalloc float[DctSide * BlockSide];
        partial.Clear();
        for (var i = 0; i < DctSide; i++)
        {
            var target = MemoryMarshal.Cast<float, Vector<float>>(partial.Slice(i * BlockSide, BlockSide));
            for (var k = 0; k < BlockSide; k++)
            {
                var weight = new Vector<float>(DctMatrix[(i * BlockSide) + k]);
                var source = MemoryMarshal.Cast<float, Vector<float>>(block.Slice(k * BlockSide, BlockSide));
                for (var v = 0; v < target.Length; v++)
                {
                    target[v] += weight * source[v];
                }
            }
        }

        var basis = DctMatrix.AsSpan();
        for (var i = 0; i < DctSide; i++)
        {
            var row = partial.Slice(i * BlockSide, BlockSide);
            for (var j = 0; j < DctSide; j++)
            {
                coefficients[(i * DctSide) + j] = Dot(row, basis.Slice(j * BlockSide, BlockSide));
            }
        }
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var va = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
        var sum = Vector<float>.Zero;
        for (var i = 0; i < va.Length; i++)
        {
            sum += va[i] * vb[i];
        }

        return Vector.Sum(sum);
    }

    // One bit per coefficient: set when above the median (the lower of the middle two of 256).
    private static PdqHash Threshold(ReadOnlySpan<float> coefficients)
    {
        Span<float> sorted = stackalloc float[coefficients.Length];
        coefficients.CopyTo(sorted);
        sorted.Sort();
        var median = sorted[(coefficients.Length / 2) - 1];
        Span<ulong> words = stackalloc ulong[4];
        for (var bit = 0; bit < coefficients.Length; bit++)
        {
            if (coefficients[bit] > median)
            {
                words[bit >> 6] |= 1UL << (bit & 63);
            }
        }

        return new PdqHash(words[0], words[1], words[2], words[3]);
    }

    private static float[] BuildDctMatrix()
    {
        var matrix = new float[DctSide * BlockSide];
        var scale = Math.Sqrt(2.0 / BlockSide);
        for (var i = 0; i < DctSide; i++)
        {
            for (var j = 0; j < BlockSide; j++)
            {
                matrix[(i * BlockSide) + j] = (float)(scale * Math.Cos(Math.PI / 2 / BlockSide * (i + 1) * ((2 * j) + 1)));
            }
        }

        return matrix;
    }

    private static float[] Weights(float weight)
    {
        var table = new float[256];
        for (var value = 0; value < table.Length; value++)
        {
            table[value] = weight * value;
        }

        return table;
    }
}
