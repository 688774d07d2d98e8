using System.Buffers;

namespace AiSocial.SafetyModels.Ocr;

/// <summary>A rectangle at any angle: centre, unit direction of its width (within 45° of horizontal), width, height.</summary>
internal readonly record struct RotatedBox(float CenterX, float CenterY, float DirectionX, float DirectionY, float Width, float Height, float Score)
{
    public (float X, float Y)[] Corners()
    {
        // The height runs perpendicular to the width, downwards (y grows down).
        var (ux, uy) = (DirectionX * Width / 2, DirectionY * Width / 2);
        var (vx, vy) = (-DirectionY * Height / 2, DirectionX * Height / 2);
        return
        [
            (CenterX - ux - vx, CenterY - uy - vy),
            (CenterX + ux - vx, CenterY + uy - vy),
            (CenterX + ux + vx, CenterY + uy + vy),
            (CenterX - ux + vx, CenterY - uy + vy),
        ];
    }
}

/// <summary>
/// Turns a text probability map into boxes the way PaddleOCR's DB post-processing does: threshold, 8-connected
/// components, a minimum-area rectangle per component, a score, and the rectangle grown back out ("unclipped") since
/// the model marks a shrunken core of each line.
/// </summary>
internal static class TextRegions
{
    private const float MinHeightRatio = 0.6f;
    private const float MaxAngleSine = 0.17f;

    private struct Run
    {
        public int Y;
        public int X0;
        public int X1;
        public float Sum;
    }

    public static List<RotatedBox> Find(
        ReadOnlySpan<float> probabilities, int width, int height, float threshold, float minScore, float minSide, float unclipRatio, int maxBoxes)
    {
        var runs = new List<Run>();
        var parent = new List<int>();
        var previousStart = 0;
        var previousEnd = 0;
        for (var y = 0; y < height; y++)
        {
            var row = probabilities.Slice(y * width, width);
            var rowStart = runs.Count;
            var above = previousStart;
            var x = 0;
            while (x < width)
            {
                if (row[x] <= threshold)
                {
                    x++;
                    continue;
                }

                var start = x;
                var sum = 0f;
                while (x < width && row[x] > threshold)
                {
                    sum += row[x++];
                }

                var index = runs.Count;
                runs.Add(new Run { Y = y, X0 = start, X1 = x - 1, Sum = sum });
                parent.Add(index);
                // Runs in the row above that touch this one, diagonals included.
                while (above < previousEnd && runs[above].X1 < start - 1)
                {
                    above++;
                }

                for (var k = above; k < previousEnd && runs[k].X0 <= x; k++)
                {
                    Union(parent, index, k);
                }
            }

            previousStart = rowStart;
            previousEnd = runs.Count;
        }

        return Boxes(runs, parent, minScore, minSide, unclipRatio, maxBoxes);
    }

    private static List<RotatedBox> Boxes(List<Run> runs, List<int> parent, float minScore, float minSide, float unclipRatio, int maxBoxes)
    {
        var boxes = new List<RotatedBox>();
        if (runs.Count == 0)
        {
            return boxes;
        }

        // Number the components, then list each one's runs together, still in row order.
        var component = new int[runs.Count];
        var rootToComponent = new Dictionary<int, int>();
        for (var i = 0; i < runs.Count; i++)
        {
            var root = Find(parent, i);
            if (!rootToComponent.TryGetValue(root, out var c))
            {
                c = rootToComponent.Count;
                rootToComponent[root] = c;
            }

            component[i] = c;
        }

        var count = rootToComponent.Count;
        var starts = new int[count + 1];
        foreach (var c in component)
        {
            starts[c + 1]++;
        }

        for (var c = 0; c < count; c++)
        {
            starts[c + 1] += starts[c];
        }

        var order = new int[runs.Count];
        var fill = (int[])starts.Clone();
        for (var i = 0; i < runs.Count; i++)
        {
            order[fill[component[i]]++] = i;
        }

        var points = ArrayPool<(float X, float Y)>.Shared.Rent(2 * runs.Count);
        var hull = ArrayPool<(float X, float Y)>.Shared.Rent((2 * runs.Count) + 1);
        try
        {
            for (var c = 0; c < count && boxes.Count < maxBoxes; c++)
            {
                var n = 0;
                var pixels = 0;
                var sum = 0.0;
                for (var k = starts[c]; k < starts[c + 1]; k++)
                {
                    var run = runs[order[k]];
                    pixels += run.X1 - run.X0 + 1;
                    sum += run.Sum;
                    // Pixel centres, as a contour tracer would report them.
                    points[n++] = (run.X0 + 0.5f, run.Y + 0.5f);
                    points[n++] = (run.X1 + 0.5f, run.Y + 0.5f);
                }

                var score = (float)(sum / pixels);
                if (score < minScore)
                {
                    continue;
                }

                var hullCount = ConvexHull(points.AsSpan(0, n), hull);
                if (hullCount < 3 || MinimumAreaBox(hull.AsSpan(0, hullCount), score) is not { } box || Math.Min(box.Width, box.Height) < minSide)
                {
                    continue;
                }

                // The hull runs through pixel centres; the pixels themselves reach half a pixel further on every side.
                var pixel = Math.Abs(box.DirectionX) + Math.Abs(box.DirectionY);
                box = box with { Width = box.Width + pixel, Height = box.Height + pixel };

                // PaddleOCR grows each polygon by area × ratio / perimeter on every side.
                var grow = box.Width * box.Height * unclipRatio / (2 * (box.Width + box.Height));
                box = box with { Width = box.Width + (2 * grow), Height = box.Height + (2 * grow) };
                if (Math.Min(box.Width, box.Height) < minSide + 2)
                {
                    continue;
                }

                boxes.Add(box);
            }
        }
        finally
        {
            ArrayPool<(float X, float Y)>.Shared.Return(points);
            ArrayPool<(float X, float Y)>.Shared.Return(hull);
        }

        return MergeAlongLines(boxes);
    }

    /// <summary>
    /// Joins boxes that continue one another along a line of text: the detector splits lines at wide gaps (monospaced
    /// text, big type), and once grown the pieces overlap, so reading them apart would read the overlap twice.
    /// </summary>
    private static List<RotatedBox> MergeAlongLines(List<RotatedBox> boxes)
    {
        var group = Enumerable.Range(0, boxes.Count).ToList();
        var merged = false;
        for (var i = 0; i < boxes.Count; i++)
        {
            for (var j = i + 1; j < boxes.Count; j++)
            {
                if (Continues(boxes[i], boxes[j]))
                {
                    Union(group, i, j);
                    merged = true;
                }
            }
        }

        if (!merged)
        {
            return boxes;
        }

        var result = new List<RotatedBox>();
        foreach (var members in Enumerable.Range(0, boxes.Count).GroupBy(i => Find(group, i)))
        {
            if (members.Count() == 1)
            {
                result.Add(boxes[members.Key]);
                continue;
            }

            var corners = members.SelectMany(i => boxes[i].Corners()).OrderBy(p => p.Y).ThenBy(p => p.X).ToArray();
            var hull = new (float X, float Y)[corners.Length + 1];
            var score = members.Sum(i => boxes[i].Score * boxes[i].Width) / members.Sum(i => boxes[i].Width);
            if (MinimumAreaBox(hull.AsSpan(0, ConvexHull(corners, hull)), score) is { } box)
            {
                result.Add(box);
            }
        }

        return result;
    }

    /// <summary>Same direction, same height, side by side on one line, and at most half a line's height apart.</summary>
    private static bool Continues(RotatedBox a, RotatedBox b)
    {
        var height = Math.Min(a.Height, b.Height);
        if (height < MinHeightRatio * Math.Max(a.Height, b.Height) || Math.Abs((a.DirectionX * b.DirectionY) - (a.DirectionY * b.DirectionX)) > MaxAngleSine)
        {
            return false;
        }

        var (dx, dy) = (b.CenterX - a.CenterX, b.CenterY - a.CenterY);
        var along = Math.Abs((dx * a.DirectionX) + (dy * a.DirectionY));
        var across = Math.Abs((-dx * a.DirectionY) + (dy * a.DirectionX));
        return across <= height / 2 && along - ((a.Width + b.Width) / 2) <= height / 2;
    }

    /// <summary>Andrew's monotone chain over points already sorted by (y, x); returns the hull's size, counter-clockwise.</summary>
    private static int ConvexHull(ReadOnlySpan<(float X, float Y)> points, Span<(float X, float Y)> hull)
    {
        if (points.Length < 3)
        {
            points.CopyTo(hull);
            return points.Length;
        }

        var k = 0;
        for (var i = 0; i < points.Length; i++)
        {
            while (k >= 2 && Cross(hull[k - 2], hull[k - 1], points[i]) <= 0)
            {
                k--;
            }

            hull[k++] = points[i];
        }

        var lower = k + 1;
        for (var i = points.Length - 2; i >= 0; i--)
        {
            while (k >= lower && Cross(hull[k - 2], hull[k - 1], points[i]) <= 0)
            {
                k--;
            }

            hull[k++] = points[i];
        }

        return k - 1;
    }

    private static float Cross((float X, float Y) o, (float X, float Y) a, (float X, float Y) b) =>
        ((a.X - o.X) * (b.Y - o.Y)) - ((a.Y - o.Y) * (b.X - o.X));

    /// <summary>Rotating calipers: the smallest rectangle has a side along one of the hull's edges.</summary>
    private static RotatedBox? MinimumAreaBox(ReadOnlySpan<(float X, float Y)> hull, float score)
    {
        RotatedBox? best = null;
        var bestArea = float.MaxValue;
        for (var i = 0; i < hull.Length; i++)
        {
            var next = hull[(i + 1) % hull.Length];
            var (ex, ey) = (next.X - hull[i].X, next.Y - hull[i].Y);
            var length = MathF.Sqrt((ex * ex) + (ey * ey));
            if (length < 1e-6f)
            {
                continue;
            }

            (ex, ey) = (ex / length, ey / length);
            float minE = float.MaxValue, maxE = float.MinValue, minN = float.MaxValue, maxN = float.MinValue;
            foreach (var p in hull)
            {
                var e = (p.X * ex) + (p.Y * ey);
                var n = (-p.X * ey) + (p.Y * ex);
                minE = Math.Min(minE, e);
                maxE = Math.Max(maxE, e);
                minN = Math.Min(minN, n);
                maxN = Math.Max(maxN, n);
            }

            var area = (maxE - minE) * (maxN - minN);
            if (area >= bestArea)
            {
                continue;
            }

            bestArea = area;
            var (ce, cn) = ((minE + maxE) / 2, (minN + maxN) / 2);
            var (cx, cy) = ((ce * ex) - (cn * ey), (ce * ey) + (cn * ex));
            // Of the four directions along the rectangle's sides, the width runs along the one nearest to rightwards.
            var (w, h) = (maxE - minE, maxN - minN);
            if (Math.Abs(ex) >= Math.Abs(ey))
            {
                best = ex >= 0 ? new RotatedBox(cx, cy, ex, ey, w, h, score) : new RotatedBox(cx, cy, -ex, -ey, w, h, score);
            }
            else
            {
                // The normal (-ey, ex) or its opposite points right.
                best = -ey >= 0 ? new RotatedBox(cx, cy, -ey, ex, h, w, score) : new RotatedBox(cx, cy, ey, -ex, h, w, score);
            }
        }

        return best;
    }

    private static int Find(List<int> parent, int i)
    {
        while (parent[i] != i)
        {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }

        return i;
    }

    private static void Union(List<int> parent, int a, int b)
    {
        var (ra, rb) = (Find(parent, a), Find(parent, b));
        if (ra != rb)
        {
            parent[Math.Max(ra, rb)] = Math.Min(ra, rb);
        }
    }
}
