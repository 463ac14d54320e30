namespace Sluice.Analytics.Sql.Functions.Streaming;

/// <summary>A small seeded generator whose whole state is one ulong, so checkpoints can save and restore it exactly.</summary>
internal struct SplitMix64(ulong state)
{
    public ulong State = state;

    public ulong NextULong()
    {
        var z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in (0, 1): never 0 or 1, for logarithms.</summary>
    public double NextOpenDouble() => ((NextULong() >> 11) + 0.5) * (1.0 / (1UL << 53));
}
