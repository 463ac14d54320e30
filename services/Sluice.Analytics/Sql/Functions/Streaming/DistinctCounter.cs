using System.Numerics;

namespace Sluice.Analytics.Sql.Functions.Streaming;

/// <summary>
/// Distinct items of a tumbling window for COUNT_DISTINCT_ITEMS_TUMBLING: an exact set while it holds at most
/// <see cref="ExactLimit"/> items, then a HyperLogLog sketch (2^14 registers, ≈ 0.8 % standard error). NULL items are
/// ignored, as COUNT(DISTINCT) ignores them. <see cref="Reset"/> starts the next window.
/// </summary>
public sealed class DistinctCounter
{
    /// <summary>Up to this many distinct items the count is exact.</summary>
    public const int ExactLimit = 10_000;

    private const int Precision = 14;
    private const int Registers = 1 << Precision;

    private readonly HashSet<string> exact = new(StringComparer.Ordinal);
    private byte[]? registers;

    public void Add(string? item)
    {
        if (item is null)
        {
            return;
        }

        if (registers is null)
        {
            if (!exact.Add(item) || exact.Count <= ExactLimit)
            {
                return;
            }

            registers = new byte[Registers];
            foreach (var e in exact)
            {
                AddToSketch(registers, e);
            }

            exact.Clear();
            return;
        }

        AddToSketch(registers, item);
    }

    /// <summary>The number of distinct items added since the last reset (exact up to <see cref="ExactLimit"/>).</summary>
    public long Count => registers is null ? exact.Count : Estimate(registers);

    public void Reset()
    {
        exact.Clear();
        registers = null;
    }

    public void Save(BinaryWriter w)
    {
        w.Write(registers is not null);
        if (registers is not null)
        {
            w.Write(registers);
            return;
        }

        w.Write(exact.Count);
        foreach (var e in exact)
        {
            w.Write(e);
        }
    }

    public static DistinctCounter Load(BinaryReader r)
    {
        var c = new DistinctCounter();
        if (r.ReadBoolean())
        {
            c.registers = r.ReadBytes(Registers);
            return c;
        }

        var n = r.ReadInt32();
        for (var i = 0; i < n; i++)
        {
            c.exact.Add(r.ReadString());
        }

        return c;
    }

    private static void AddToSketch(byte[] m, string item)
    {
        var h = ItemHash.Of(item);
        var index = (int)(h >> (64 - Precision));
        var rank = (byte)(BitOperations.LeadingZeroCount((h << Precision) | (1UL << (Precision - 1))) + 1);
        if (rank > m[index])
        {
            m[index] = rank;
        }
    }

    private static long Estimate(byte[] m)
    {
        double sum = 0;
        var zeros = 0;
        foreach (var r in m)
        {
            sum += Math.ScaleB(1.0, -r);
            if (r == 0)
            {
                zeros++;
            }
        }

        const double alpha = 0.7213 / (1 + (1.079 / Registers));
        var e = alpha * Registers * Registers / sum;
        if (e <= 2.5 * Registers && zeros > 0)
        {
            e = Registers * Math.Log(Registers / (double)zeros); // linear counting is better for small cardinalities
        }

        return (long)Math.Round(e);
    }
}
