using SkiaSharp;

namespace AiSocial.SafetyModels.Ocr;

/// <summary>Where a line of text is, in the original image's pixels: four corners clockwise from the text's top left.</summary>
public readonly record struct TextQuad(SKPoint TopLeft, SKPoint TopRight, SKPoint BottomRight, SKPoint BottomLeft)
{
    /// <summary>The smallest axis-aligned rectangle holding all four corners.</summary>
    public SKRect Bounds => new(
        Math.Min(Math.Min(TopLeft.X, TopRight.X), Math.Min(BottomRight.X, BottomLeft.X)),
        Math.Min(Math.Min(TopLeft.Y, TopRight.Y), Math.Min(BottomRight.Y, BottomLeft.Y)),
        Math.Max(Math.Max(TopLeft.X, TopRight.X), Math.Max(BottomRight.X, BottomLeft.X)),
        Math.Max(Math.Max(TopLeft.Y, TopRight.Y), Math.Max(BottomRight.Y, BottomLeft.Y)));

    /// <summary>Length of the top edge: how long the line of text is.</summary>
    public float Width => SKPoint.Distance(TopLeft, TopRight);

    /// <summary>Length of the left edge: how tall the line of text is.</summary>
    public float Height => SKPoint.Distance(TopLeft, BottomLeft);

    public SKPoint Center => new(
        (TopLeft.X + TopRight.X + BottomRight.X + BottomLeft.X) / 4,
        (TopLeft.Y + TopRight.Y + BottomRight.Y + BottomLeft.Y) / 4);

    public float[][] ToArray() =>
        [[TopLeft.X, TopLeft.Y], [TopRight.X, TopRight.Y], [BottomRight.X, BottomRight.Y], [BottomLeft.X, BottomLeft.Y]];
}
