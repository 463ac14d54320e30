using System.Globalization;
using System.Numerics;
using System.Text;

namespace Sluice.Analytics.Sql.Functions.Streaming;

/// <summary>
/// HOTSPOTS over the last <c>windowSize</c> points: a density-based (DBSCAN-style) grouping. A point is a core point when
/// at least <c>minimumNumberOfPointsInAHotspot</c> points of the window (itself included) lie within
/// <c>scanRadius</c> (Euclidean); core points within scanRadius of each other form one hotspot, which also takes in the
/// non-core points within scanRadius of its core points; hotspots with fewer than the minimum points are dropped.
/// <c>density</c> is the hotspot's share of the window's points divided by its share of the window's bounding volume
/// (sides shorter than scanRadius count as scanRadius), so 1 is average density. Neighbourhoods are kept as bit rows
/// and updated incrementally (O(window) per point). The result does not depend on the seed (accepted for symmetry with
/// RANDOM_CUT_FOREST). Dimensions are fixed by the first point.
/// </summary>
public sealed class Hotspots
{
    private readonly int windowSize;
    private readonly double radiusSquared;
    private readonly int words;
    private readonly int[] neighbours; // per slot, excluding itself
    private readonly ulong[] adjacency; // slot rows of bits
    private readonly ulong[] core;
    private readonly ulong[] unvisited;
    private readonly ulong[] members;
    private readonly int[] stack;
    private double[] points = [];
    private int dims;
    private int count;
    private int next; // slot the next point goes to

    public Hotspots(int windowSize, double scanRadius, int minimumNumberOfPointsInAHotspot, int seed = 1)
    {
        if (windowSize is < 100 or > 1000)
        {
            throw new ArgumentException($"windowSize must be between 100 and 1000, got {windowSize}", nameof(windowSize));
        }

        if (!(scanRadius > 0) || double.IsInfinity(scanRadius))
        {
            throw new ArgumentException($"scanRadius must be a positive number, got {scanRadius}", nameof(scanRadius));
        }

        if (minimumNumberOfPointsInAHotspot < 2 || minimumNumberOfPointsInAHotspot > windowSize)
        {
            throw new ArgumentException($"minimumNumberOfPointsInAHotspot must be between 2 and windowSize ({windowSize}), got {minimumNumberOfPointsInAHotspot}", nameof(minimumNumberOfPointsInAHotspot));
        }

        this.windowSize = windowSize;
        ScanRadius = scanRadius;
        radiusSquared = scanRadius * scanRadius;
        MinimumPoints = minimumNumberOfPointsInAHotspot;
        Seed = seed;
        words = (windowSize + 63) / 64;
        neighbours = new int[windowSize];
        adjacency = new ulong[windowSize * words];
        core = new ulong[words];
        unvisited = new ulong[words];
        members = new ulong[words];
        stack = new int[windowSize];
    }

    public int WindowSize => windowSize;

    public double ScanRadius { get; }

    public int MinimumPoints { get; }

    public int Seed { get; }

    /// <summary>Adds a point (evicting the oldest once the window is full) and returns HOTSPOTS_RESULT for the window.</summary>
    public string Update(ReadOnlySpan<double> point)
    {
        Add(point);
        return Result();
    }

    /// <summary>Points in the window, oldest first, then the parameters: a restore replays them.</summary>
    public void Save(BinaryWriter w)
    {
        w.Write(windowSize);
        w.Write(ScanRadius);
        w.Write(MinimumPoints);
        w.Write(Seed);
        w.Write(dims);
        w.Write(count);
        for (var i = 0; i < count; i++)
        {
            var slot = (next - count + i + windowSize) % windowSize;
            for (var d = 0; d < dims; d++)
            {
                w.Write(points[(slot * dims) + d]);
            }
        }
    }

    public static Hotspots Load(BinaryReader r)
    {
        var h = new Hotspots(r.ReadInt32(), r.ReadDouble(), r.ReadInt32(), r.ReadInt32());
        var dims = r.ReadInt32();
        var n = r.ReadInt32();
        var p = new double[dims];
        for (var i = 0; i < n; i++)
        {
            for (var d = 0; d < dims; d++)
            {
                p[d] = r.ReadDouble();
            }

            h.Add(p);
        }

        return h;
    }

    private void Add(ReadOnlySpan<double> point)
    {
        if (dims == 0)
        {
            if (point.Length is < 1 or > 30)
            {
                throw new ArgumentException($"HOTSPOTS uses 1 to 30 numeric columns, got {point.Length}", nameof(point));
            }

            dims = point.Length;
            points = new double[windowSize * dims];
        }
        else if (point.Length != dims)
        {
            throw new ArgumentException($"point has {point.Length} values; earlier points had {dims}", nameof(point));
        }

        foreach (var v in point)
        {
            if (!double.IsFinite(v))
            {
                throw new SqlFunctionException($"HOTSPOTS input values must be finite numbers, got {v}");
            }
        }

        var s = next;
        if (count == windowSize)
        {
            Evict(s);
        }
        else
        {
            count++;
        }

        point.CopyTo(points.AsSpan(s * dims, dims));
        var row = adjacency.AsSpan(s * words, words);
        for (var j = 0; j < windowSize; j++)
        {
            if (j == s || !Live(j))
            {
                continue;
            }

            var dist = 0.0;
            var pj = j * dims;
            for (var d = 0; d < dims && dist <= radiusSquared; d++)
            {
                var diff = points[pj + d] - point[d];
                dist += diff * diff;
            }

            if (dist <= radiusSquared)
            {
                row[j >> 6] |= 1UL << j;
                adjacency[(j * words) + (s >> 6)] |= 1UL << s;
                neighbours[j]++;
                neighbours[s]++;
            }
        }

        next = (next + 1) % windowSize;
    }

    // Slots fill 0, 1, 2, … and then wrap, so before the window is full the live slots are 0 .. count-1.
    private bool Live(int slot) => count == windowSize || slot < count;

    private void Evict(int s)
    {
        var row = adjacency.AsSpan(s * words, words);
        for (var w = 0; w < words; w++)
        {
            var bits = row[w];
            while (bits != 0)
            {
                var j = (w << 6) + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                adjacency[(j * words) + (s >> 6)] &= ~(1UL << s);
                neighbours[j]--;
            }
        }

        row.Clear();
        neighbours[s] = 0;
    }

    private string Result()
    {
        Array.Clear(core);
        for (var j = 0; j < windowSize; j++)
        {
            if (neighbours[j] + 1 >= MinimumPoints)
            {
                core[j >> 6] |= 1UL << j;
            }
        }

        core.CopyTo(unvisited, 0);
        Span<double> winMin = stackalloc double[dims];
        Span<double> winMax = stackalloc double[dims];
        Bounds(null, winMin, winMax);
        var windowLogVolume = LogVolume(winMin, winMax);
        var found = new List<(double Density, double[] Min, double[] Max)>();
        for (var w = 0; w < words; w++)
        {
            while (unvisited[w] != 0)
            {
                var seed = (w << 6) + BitOperations.TrailingZeroCount(unvisited[w]);
                unvisited[w] &= ~(1UL << seed);
                Array.Clear(members);
                var top = 0;
                stack[top++] = seed;
                while (top > 0)
                {
                    var c = stack[--top];
                    members[c >> 6] |= 1UL << c;
                    var row = adjacency.AsSpan(c * words, words);
                    for (var k = 0; k < words; k++)
                    {
                        members[k] |= row[k];
                        var grow = row[k] & unvisited[k];
                        unvisited[k] &= ~grow;
                        while (grow != 0)
                        {
                            stack[top++] = (k << 6) + BitOperations.TrailingZeroCount(grow);
                            grow &= grow - 1;
                        }
                    }
                }

                var size = 0;
                foreach (var m in members)
                {
                    size += BitOperations.PopCount(m);
                }

                if (size < MinimumPoints)
                {
                    continue;
                }

                var min = new double[dims];
                var max = new double[dims];
                Bounds(members, min, max);
                var density = size / (double)count / Math.Exp(LogVolume(min, max) - windowLogVolume);
                found.Add((density, min, max));
            }
        }

        found.Sort(static (a, b) => b.Density.CompareTo(a.Density));
        var sb = new StringBuilder("{\"hotspots\":[");
        for (var i = 0; i < found.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            sb.Append("{\"density\":").Append(Number(found[i].Density)).Append(",\"minValues\":[");
            AppendArray(sb, found[i].Min);
            sb.Append("],\"maxValues\":[");
            AppendArray(sb, found[i].Max);
            sb.Append("]}");
        }

        return sb.Append("]}").ToString();
    }

    private void Bounds(ulong[]? set, Span<double> min, Span<double> max)
    {
        min.Fill(double.PositiveInfinity);
        max.Fill(double.NegativeInfinity);
        for (var j = 0; j < windowSize; j++)
        {
            if (set is null ? !Live(j) : (set[j >> 6] & (1UL << j)) == 0)
            {
                continue;
            }

            for (var d = 0; d < dims; d++)
            {
                var v = points[(j * dims) + d];
                min[d] = Math.Min(min[d], v);
                max[d] = Math.Max(max[d], v);
            }
        }
    }

    // In log space: a product of 30 side lengths overflows quickly.
    private double LogVolume(ReadOnlySpan<double> min, ReadOnlySpan<double> max)
    {
        var log = 0.0;
        for (var d = 0; d < dims; d++)
        {
            log += Math.Log(Math.Max(max[d] - min[d], ScanRadius));
        }

        return log;
    }

    private static void AppendArray(StringBuilder sb, double[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            sb.Append(Number(values[i]));
        }
    }

    private static string Number(double v) => double.IsFinite(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "null";
}
