using System.Numerics;

namespace Sluice.LoadGen.Load;

/// <summary>Request latencies in log-linear microsecond buckets (about 3% resolution); fixed size, mergeable across workers.</summary>
internal sealed class LatencyHistogram
{
    // 32 buckets per power of two; values below 64 µs are exact.
    private const int SubBuckets = 32;
    private readonly long[] _counts = new long[64 * SubBuckets];

    public long Count { get; private set; }

    public long MaxMicros { get; private set; }

    public void Record(TimeSpan elapsed)
    {
        long micros = Math.Max(0, (long)elapsed.TotalMicroseconds);
        _counts[IndexOf(micros)]++;
        Count++;
        MaxMicros = Math.Max(MaxMicros, micros);
    }

    public void Add(LatencyHistogram other)
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        MaxMicros = Math.Max(MaxMicros, other.MaxMicros);
    }

    /// <summary>The latency at percentile <paramref name="p"/> (0–100) in milliseconds, taken as its bucket's midpoint.</summary>
    public double PercentileMs(double p)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(p / 100 * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(Midpoint(i), MaxMicros) / 1000.0;
            }
        }

        return MaxMicros / 1000.0;
    }

    private static int IndexOf(long micros)
    {
        if (micros < 2 * SubBuckets)
        {
            return (int)micros;
        }

        int shift = 63 - BitOperations.LeadingZeroCount((ulong)micros) - 5;
        return (shift * SubBuckets) + (int)(micros >> shift);
    }

    private static long Midpoint(int index)
    {
        if (index < 2 * SubBuckets)
        {
            return index;
        }

        int shift = (index / SubBuckets) - 1;
        long lower = (long)(index - (shift * SubBuckets)) << shift;
        return lower + ((1L << shift) / 2);
    }
}
