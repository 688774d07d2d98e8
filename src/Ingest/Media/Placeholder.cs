namespace AiSocial.Ingest.Media;

/// <summary>
/// A BlurHash (the public algorithm by Wolt): the picture's average colour and its lowest cosine components, quantised
/// and written in base 83 — about 30 characters a client turns into a blurred stand-in while the image loads.
/// </summary>
internal static class Placeholder
{
    public const int ComponentsX = 4;
    public const int ComponentsY = 3;

    private const string Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

    // sRGB byte → linear light, as a table (the transfer function is the costly part).
    private static readonly double[] Linear = [.. Enumerable.Range(0, 256).Select(v => SrgbToLinear(v))];

    /// <summary>The BlurHash of RGB pixels (3 bytes a pixel, rows top to bottom), with 4×3 components.</summary>
    public static string Encode(PreviewPixels pixels)
    {
        var (width, height, rgb) = (pixels.Width, pixels.Height, pixels.Rgb);
        var factors = new (double R, double G, double B)[ComponentsX * ComponentsY];
        for (var j = 0; j < ComponentsY; j++)
        {
            for (var i = 0; i < ComponentsX; i++)
            {
                double r = 0, g = 0, b = 0;
                for (var y = 0; y < height; y++)
                {
                    var cosY = Math.Cos(Math.PI * j * y / height);
                    for (var x = 0; x < width; x++)
                    {
                        var basis = Math.Cos(Math.PI * i * x / width) * cosY;
                        var p = (y * width + x) * 3;
                        r += basis * Linear[rgb[p]];
                        g += basis * Linear[rgb[p + 1]];
                        b += basis * Linear[rgb[p + 2]];
                    }
                }

                var scale = (i == 0 && j == 0 ? 1.0 : 2.0) / (width * height);
                factors[j * ComponentsX + i] = (r * scale, g * scale, b * scale);
            }
        }

        var hash = new System.Text.StringBuilder(4 + 2 * factors.Length);
        AppendBase83(hash, ComponentsX - 1 + (ComponentsY - 1) * 9, 1);

        var maximum = 0.0;
        foreach (var (r, g, b) in factors.AsSpan(1))
        {
            maximum = Math.Max(maximum, Math.Max(Math.Abs(r), Math.Max(Math.Abs(g), Math.Abs(b))));
        }

        var quantisedMaximum = (int)Math.Clamp(Math.Floor(maximum * 166 - 0.5), 0, 82);
        var acScale = (quantisedMaximum + 1) / 166.0;
        AppendBase83(hash, quantisedMaximum, 1);

        var dc = factors[0];
        AppendBase83(hash, (LinearToSrgb(dc.R) << 16) + (LinearToSrgb(dc.G) << 8) + LinearToSrgb(dc.B), 4);
        foreach (var (r, g, b) in factors.AsSpan(1))
        {
            AppendBase83(hash, Quantise(r / acScale) * 19 * 19 + Quantise(g / acScale) * 19 + Quantise(b / acScale), 2);
        }

        return hash.ToString();
    }

    /// <summary>The average colour a hash carries (its first component), as sRGB bytes.</summary>
    public static (byte R, byte G, byte B) AverageColour(string hash)
    {
        var value = 0;
        foreach (var c in hash.AsSpan(2, 4))
        {
            value = value * 83 + Digits.IndexOf(c, StringComparison.Ordinal);
        }

        return ((byte)(value >> 16), (byte)(value >> 8), (byte)value);
    }

    private static int Quantise(double value) =>
        (int)Math.Clamp(Math.Floor(Math.CopySign(Math.Sqrt(Math.Abs(value)), value) * 9 + 9.5), 0, 18);

    private static void AppendBase83(System.Text.StringBuilder hash, int value, int length)
    {
        for (var position = length - 1; position >= 0; position--)
        {
            hash.Append(Digits[value / (int)Math.Pow(83, position) % 83]);
        }
    }

    private static double SrgbToLinear(int value)
    {
        var v = value / 255.0;
        return v <= 0.04045 ? v / 12.92 : Math.Pow((v + 0.055) / 1.055, 2.4);
    }

    private static int LinearToSrgb(double value)
    {
        var v = Math.Clamp(value, 0, 1);
        return v <= 0.0031308 ? (int)(v * 12.92 * 255 + 0.5) : (int)((1.055 * Math.Pow(v, 1 / 2.4) - 0.055) * 255 + 0.5);
    }
}
