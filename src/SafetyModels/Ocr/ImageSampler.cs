using System.Buffers;

namespace AiSocial.SafetyModels.Ocr;

/// <summary>How 8-bit pixels become a model's input: channel order, then (value / 255 − mean) / std per channel.</summary>
internal sealed class PixelNormalization
{
    // PaddleOCR reads images with OpenCV, so both of its models take blue, green, red.
    public static readonly PixelNormalization Detection = new(bgr: true, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
    public static readonly PixelNormalization Recognition = new(bgr: true, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]);

    public PixelNormalization(bool bgr, float[] mean, float[] std)
    {
        Source = bgr ? [2, 1, 0] : [0, 1, 2];
        Scale = [.. std.Select(s => 1f / (255f * s))];
        Offset = [.. mean.Zip(std, (m, s) => -m / s)];
    }

    /// <summary>For each model channel, which RGBA byte it reads.</summary>
    public int[] Source { get; }

    public float[] Scale { get; }

    public float[] Offset { get; }
}

/// <summary>
/// An affine map from output pixels to source pixels: output point (u, v) reads the source at
/// (X + u·Ux + v·Vx, Y + u·Uy + v·Vy). Coordinates are continuous, pixel i spanning [i, i + 1).
/// </summary>
internal readonly record struct AffineMap(float X, float Y, float Ux, float Uy, float Vx, float Vy)
{
    public static AffineMap Scale(float sx, float sy) => new(0, 0, sx, 0, 0, sy);
}

/// <summary>Resamples (crop, rotate, scale) 8-bit RGBA pixels straight into normalised planar float tensors.</summary>
internal static class ImageSampler
{
    private const int MaxSubsamples = 8;

    /// <summary>
    /// Writes a width×height output into three planes of <paramref name="destination"/> (plane p starts at
    /// p·planeStride, rows are rowStride apart). Bilinear with edge pixels repeated; when the map shrinks, each output
    /// pixel averages a grid of samples so that small text is not lost to aliasing.
    /// </summary>
    public static void Sample(
        RgbaView source, AffineMap map, int width, int height, Span<float> destination, int rowStride, int planeStride, PixelNormalization normalization)
    {
        var ku = Math.Clamp((int)MathF.Ceiling(MathF.Sqrt((map.Ux * map.Ux) + (map.Uy * map.Uy)) - 1e-3f), 1, MaxSubsamples);
        var kv = Math.Clamp((int)MathF.Ceiling(MathF.Sqrt((map.Vx * map.Vx) + (map.Vy * map.Vy)) - 1e-3f), 1, MaxSubsamples);
        if (map.Uy == 0 && map.Vx == 0)
        {
            SampleAxisAligned(source, map, width, height, destination, rowStride, planeStride, normalization, ku, kv);
            return;
        }

        var weight = 1f / (ku * kv);
        var pixels = source.Pixels;
        var maxX = source.Width - 1;
        var maxY = source.Height - 1;
        var rowBytes = source.RowBytes;
        var (c0, c1, c2) = (normalization.Source[0], normalization.Source[1], normalization.Source[2]);
        var (s0, s1, s2) = (normalization.Scale[0] * weight, normalization.Scale[1] * weight, normalization.Scale[2] * weight);
        var (o0, o1, o2) = (normalization.Offset[0], normalization.Offset[1], normalization.Offset[2]);
        Span<float> sum = stackalloc float[4];
        for (var v = 0; v < height; v++)
        {
            var rowOffset = v * rowStride;
            for (var u = 0; u < width; u++)
            {
                sum.Clear();
                for (var sv = 0; sv < kv; sv++)
                {
                    var fv = v + ((sv + 0.5f) / kv);
                    for (var su = 0; su < ku; su++)
                    {
                        var fu = u + ((su + 0.5f) / ku);
                        // Pixel centres sit at i + 0.5.
                        var x = map.X + (fu * map.Ux) + (fv * map.Vx) - 0.5f;
                        var y = map.Y + (fu * map.Uy) + (fv * map.Vy) - 0.5f;
                        var x0 = (int)MathF.Floor(x);
                        var y0 = (int)MathF.Floor(y);
                        var tx = x - x0;
                        var ty = y - y0;
                        var xa = Math.Clamp(x0, 0, maxX) * 4;
                        var xb = Math.Clamp(x0 + 1, 0, maxX) * 4;
                        var ya = Math.Clamp(y0, 0, maxY) * rowBytes;
                        var yb = Math.Clamp(y0 + 1, 0, maxY) * rowBytes;
                        var w00 = (1 - tx) * (1 - ty);
                        var w01 = tx * (1 - ty);
                        var w10 = (1 - tx) * ty;
                        var w11 = tx * ty;
                        for (var c = 0; c < 3; c++)
                        {
                            sum[c] += (w00 * pixels[ya + xa + c]) + (w01 * pixels[ya + xb + c]) + (w10 * pixels[yb + xa + c]) + (w11 * pixels[yb + xb + c]);
                        }
                    }
                }

                destination[rowOffset + u] = (sum[c0] * s0) + o0;
                destination[planeStride + rowOffset + u] = (sum[c1] * s1) + o1;
                destination[(2 * planeStride) + rowOffset + u] = (sum[c2] * s2) + o2;
            }
        }
    }

    /// <summary>The same for a plain scale (no rotation): each column's taps are worked out once, not once per row.</summary>
    private static void SampleAxisAligned(
        RgbaView source, AffineMap map, int width, int height, Span<float> destination, int rowStride, int planeStride, PixelNormalization normalization, int ku, int kv)
    {
        var taps = width * ku;
        var left = ArrayPool<int>.Shared.Rent(taps);
        var right = ArrayPool<int>.Shared.Rent(taps);
        var fraction = ArrayPool<float>.Shared.Rent(taps);
        var sums = ArrayPool<float>.Shared.Rent(3 * width);
        try
        {
            var maxX = source.Width - 1;
            for (var u = 0; u < width; u++)
            {
                for (var su = 0; su < ku; su++)
                {
                    var x = map.X + ((u + ((su + 0.5f) / ku)) * map.Ux) - 0.5f;
                    var x0 = (int)MathF.Floor(x);
                    var k = (u * ku) + su;
                    left[k] = Math.Clamp(x0, 0, maxX) * 4;
                    right[k] = Math.Clamp(x0 + 1, 0, maxX) * 4;
                    fraction[k] = x - x0;
                }
            }

            var pixels = source.Pixels;
            var weight = 1f / (ku * kv);
            var (c0, c1, c2) = (normalization.Source[0], normalization.Source[1], normalization.Source[2]);
            var (s0, s1, s2) = (normalization.Scale[0] * weight, normalization.Scale[1] * weight, normalization.Scale[2] * weight);
            var (o0, o1, o2) = (normalization.Offset[0], normalization.Offset[1], normalization.Offset[2]);
            var sum = sums.AsSpan(0, 3 * width);
            for (var v = 0; v < height; v++)
            {
                sum.Clear();
                for (var sv = 0; sv < kv; sv++)
                {
                    var y = map.Y + ((v + ((sv + 0.5f) / kv)) * map.Vy) - 0.5f;
                    var y0 = (int)MathF.Floor(y);
                    var ty = y - y0;
                    var top = pixels.Slice(Math.Clamp(y0, 0, source.Height - 1) * source.RowBytes, source.Width * 4);
                    var bottom = pixels.Slice(Math.Clamp(y0 + 1, 0, source.Height - 1) * source.RowBytes, source.Width * 4);
                    for (var k = 0; k < taps; k++)
                    {
                        var (a, b, tx) = (left[k], right[k], fraction[k]);
                        var o = k / ku * 3;
                        for (var c = 0; c < 3; c++)
                        {
                            var upper = top[a + c] + (tx * (top[b + c] - top[a + c]));
                            var lower = bottom[a + c] + (tx * (bottom[b + c] - bottom[a + c]));
                            sum[o + c] += upper + (ty * (lower - upper));
                        }
                    }
                }

                var row = v * rowStride;
                for (var u = 0; u < width; u++)
                {
                    destination[row + u] = (sum[(3 * u) + c0] * s0) + o0;
                    destination[planeStride + row + u] = (sum[(3 * u) + c1] * s1) + o1;
                    destination[(2 * planeStride) + row + u] = (sum[(3 * u) + c2] * s2) + o2;
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(left);
            ArrayPool<int>.Shared.Return(right);
            ArrayPool<float>.Shared.Return(fraction);
            ArrayPool<float>.Shared.Return(sums);
        }
    }
}
