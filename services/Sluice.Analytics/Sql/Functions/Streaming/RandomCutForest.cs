using System.Globalization;
using System.Text;

namespace Sluice.Analytics.Sql.Functions.Streaming;

/// <summary>
/// Random Cut Forest anomaly scoring for RANDOM_CUT_FOREST and RANDOM_CUT_FOREST_WITH_EXPLANATION (Guha et al., 2016; the
/// algorithm of AWS's open-source randomcutforest library, written anew here). Each tree keeps a time-decayed reservoir
/// sample of <c>subSampleSize</c> points (weight −seq/timeDecay + log(−log u), smallest kept) and a random cut tree over
/// it. A record's score is computed before the record is inserted and is 0 until <c>subSampleSize</c> points have been
/// seen; with <c>shingleSize</c> &gt; 1 a point is the last shingleSize records concatenated (scores are 0 until the first
/// shingle is full). Deterministic for a seed; <see cref="Save"/>/<see cref="Load"/> restore the exact state. Scores are
/// comparable in scale to AWS's (≈ 0 … log2(subSampleSize)), not equal to them. Single-threaded.
/// </summary>
public sealed class RandomCutForest
{
    private const int FormatVersion = 1;

    private readonly RandomCutTree[] trees;
    private readonly SplitMix64[] rngs;
    private readonly double[][] weights; // per tree: a max-heap of sample weights
    private readonly int[][] leaves; // per tree: the leaf of each heap entry
    private readonly int[] sampled;
    private readonly double[] shingle; // the last shingleSize records, oldest first
    private readonly double[] candidate;
    private readonly double[] high;
    private readonly double[] low;
    private int recordsInShingle;

    /// <param name="dimensions">Numeric columns per record (1–30).</param>
    /// <param name="numberOfTrees">1–1000, default 100.</param>
    /// <param name="subSampleSize">10–1000 and less than timeDecay, default 256.</param>
    /// <param name="timeDecay">1–2^31−1, default 100000: roughly how many recent points the sample is drawn from.</param>
    /// <param name="shingleSize">1–30, default 1.</param>
    /// <param name="seed">Seeds every tree's generator (the application's RandomSeed).</param>
    public RandomCutForest(int dimensions, int numberOfTrees = 100, int subSampleSize = 256, int timeDecay = 100000, int shingleSize = 1, int seed = 1)
    {
        Validate(dimensions, numberOfTrees, subSampleSize, timeDecay, shingleSize);
        Dimensions = dimensions;
        NumberOfTrees = numberOfTrees;
        SubSampleSize = subSampleSize;
        TimeDecay = timeDecay;
        ShingleSize = shingleSize;
        Seed = seed;
        var pointDims = dimensions * shingleSize;
        trees = new RandomCutTree[numberOfTrees];
        rngs = new SplitMix64[numberOfTrees];
        weights = new double[numberOfTrees][];
        leaves = new int[numberOfTrees][];
        sampled = new int[numberOfTrees];
        var seeder = new SplitMix64((ulong)(uint)seed * 0x2545F4914F6CDD1DUL);
        for (var t = 0; t < numberOfTrees; t++)
        {
            trees[t] = new RandomCutTree(pointDims, subSampleSize);
            rngs[t] = new SplitMix64(seeder.NextULong());
            weights[t] = new double[subSampleSize];
            leaves[t] = new int[subSampleSize];
        }

        shingle = new double[pointDims];
        candidate = new double[pointDims];
        high = new double[pointDims];
        low = new double[pointDims];
    }

    public int Dimensions { get; }

    public int NumberOfTrees { get; }

    public int SubSampleSize { get; }

    public int TimeDecay { get; }

    public int ShingleSize { get; }

    public int Seed { get; }

    /// <summary>Points (full shingles) inserted so far.</summary>
    public long PointsSeen { get; private set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the parameter and its rule when one is out of range (KDA's ranges).</summary>
    public static void Validate(int dimensions, int numberOfTrees, int subSampleSize, int timeDecay, int shingleSize)
    {
        if (dimensions is < 1 or > 30)
        {
            throw new ArgumentException($"RANDOM_CUT_FOREST uses 1 to 30 numeric columns, got {dimensions}", nameof(dimensions));
        }

        if (numberOfTrees is < 1 or > 1000)
        {
            throw new ArgumentException($"numberOfTrees must be between 1 and 1000, got {numberOfTrees}", nameof(numberOfTrees));
        }

        if (subSampleSize is < 10 or > 1000)
        {
            throw new ArgumentException($"subSampleSize must be between 10 and 1000, got {subSampleSize}", nameof(subSampleSize));
        }

        if (timeDecay < 1)
        {
            throw new ArgumentException($"timeDecay must be between 1 and 2147483647, got {timeDecay}", nameof(timeDecay));
        }

        if (subSampleSize >= timeDecay)
        {
            throw new ArgumentException($"subSampleSize ({subSampleSize}) must be less than timeDecay ({timeDecay})", nameof(subSampleSize));
        }

        if (shingleSize is < 1 or > 30)
        {
            throw new ArgumentException($"shingleSize must be between 1 and 30, got {shingleSize}", nameof(shingleSize));
        }
    }

    /// <summary>The anomaly score the record would get now (≥ 0), without changing the forest.</summary>
    public double Score(ReadOnlySpan<double> record)
    {
        if (!Candidate(record))
        {
            return 0;
        }

        var sum = 0.0;
        for (var t = 0; t < trees.Length; t++)
        {
            sum += trees[t].Score(candidate);
        }

        return sum / trees.Length;
    }

    /// <summary>Adds the record to the shingle and, once the shingle is full, offers the point to every tree's sample.</summary>
    public void Update(ReadOnlySpan<double> record)
    {
        CheckRecord(record);
        var d = Dimensions;
        if (ShingleSize > 1)
        {
            Array.Copy(shingle, d, shingle, 0, shingle.Length - d);
        }

        record.CopyTo(shingle.AsSpan(shingle.Length - d));
        if (recordsInShingle < ShingleSize)
        {
            recordsInShingle++;
            if (recordsInShingle < ShingleSize)
            {
                return;
            }
        }

        PointsSeen++;
        var decay = -PointsSeen / (double)TimeDecay;
        for (var t = 0; t < trees.Length; t++)
        {
            var weight = decay + Math.Log(-Math.Log(rngs[t].NextOpenDouble()));
            Offer(t, weight);
        }
    }

    /// <summary>Score (before insertion), then update: what RANDOM_CUT_FOREST emits per row.</summary>
    public double ScoreAndUpdate(ReadOnlySpan<double> record)
    {
        var score = Score(record);
        Update(record);
        return score;
    }

    /// <summary>
    /// Per-column attribution of the record's score: <c>High[i] + Low[i]</c> summed over columns equals <see cref="Score"/>;
    /// High is the part due to the value being high, Low due to it being low (shingle positions of a column are summed).
    /// </summary>
    public AnomalyAttribution Explain(ReadOnlySpan<double> record)
    {
        var h = new double[Dimensions];
        var l = new double[Dimensions];
        if (!Candidate(record))
        {
            return new AnomalyAttribution(0, h, l);
        }

        Array.Clear(high);
        Array.Clear(low);
        for (var t = 0; t < trees.Length; t++)
        {
            trees[t].Attribute(candidate, high, low);
        }

        var score = 0.0;
        for (var i = 0; i < high.Length; i++)
        {
            var c = i % Dimensions;
            h[c] += high[i] / trees.Length;
            l[c] += low[i] / trees.Length;
            score += (high[i] + low[i]) / trees.Length;
        }

        return new AnomalyAttribution(score, h, l);
    }

    /// <summary>Explain (before insertion), then update: what RANDOM_CUT_FOREST_WITH_EXPLANATION emits per row.</summary>
    public AnomalyAttribution ExplainAndUpdate(ReadOnlySpan<double> record)
    {
        var a = Explain(record);
        Update(record);
        return a;
    }

    public void Save(BinaryWriter w)
    {
        w.Write(FormatVersion);
        w.Write(Dimensions);
        w.Write(NumberOfTrees);
        w.Write(SubSampleSize);
        w.Write(TimeDecay);
        w.Write(ShingleSize);
        w.Write(Seed);
        w.Write(PointsSeen);
        w.Write(recordsInShingle);
        foreach (var v in shingle)
        {
            w.Write(v);
        }

        for (var t = 0; t < trees.Length; t++)
        {
            w.Write(rngs[t].State);
            w.Write(sampled[t]);
            for (var i = 0; i < sampled[t]; i++)
            {
                w.Write(weights[t][i]);
                w.Write(leaves[t][i]);
            }

            trees[t].Save(w);
        }
    }

    /// <summary>A forest saved by <see cref="Save"/>: the same parameters and exactly the same future scores.</summary>
    public static RandomCutForest Load(BinaryReader r)
    {
        var version = r.ReadInt32();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"random cut forest state has format version {version}; this build reads {FormatVersion}");
        }

        var f = new RandomCutForest(r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32(), r.ReadInt32());
        f.PointsSeen = r.ReadInt64();
        f.recordsInShingle = r.ReadInt32();
        for (var i = 0; i < f.shingle.Length; i++)
        {
            f.shingle[i] = r.ReadDouble();
        }

        for (var t = 0; t < f.trees.Length; t++)
        {
            f.rngs[t].State = r.ReadUInt64();
            f.sampled[t] = r.ReadInt32();
            for (var i = 0; i < f.sampled[t]; i++)
            {
                f.weights[t][i] = r.ReadDouble();
                f.leaves[t][i] = r.ReadInt32();
            }

            f.trees[t].Load(r);
        }

        return f;
    }

    // The point a record would make: the shingle shifted by one record. False while scores must be 0.
    private bool Candidate(ReadOnlySpan<double> record)
    {
        CheckRecord(record);
        if (PointsSeen < SubSampleSize || recordsInShingle < ShingleSize - 1)
        {
            return false;
        }

        var d = Dimensions;
        Array.Copy(shingle, d, candidate, 0, shingle.Length - d);
        record.CopyTo(candidate.AsSpan(candidate.Length - d));
        return true;
    }

    private void CheckRecord(ReadOnlySpan<double> record)
    {
        if (record.Length != Dimensions)
        {
            throw new ArgumentException($"record has {record.Length} values; the forest was built for {Dimensions}", nameof(record));
        }

        foreach (var v in record)
        {
            if (!double.IsFinite(v))
            {
                throw new SqlFunctionException($"RANDOM_CUT_FOREST input values must be finite numbers, got {v}");
            }
        }
    }

    private void Offer(int t, double weight)
    {
        var w = weights[t];
        var l = leaves[t];
        var n = sampled[t];
        if (n < SubSampleSize)
        {
            // Not full: sift the new entry up the max-heap.
            var i = n;
            var leaf = trees[t].Insert(shingle, ref rngs[t]);
            while (i > 0)
            {
                var up = (i - 1) / 2;
                if (w[up] >= weight)
                {
                    break;
                }

                w[i] = w[up];
                l[i] = l[up];
                i = up;
            }

            w[i] = weight;
            l[i] = leaf;
            sampled[t] = n + 1;
            return;
        }

        if (weight >= w[0])
        {
            return;
        }

        // Evict the heaviest (oldest-weighted) point, then insert the new one.
        trees[t].Delete(l[0]);
        var newLeaf = trees[t].Insert(shingle, ref rngs[t]);
        var j = 0;
        while (true)
        {
            var c = (2 * j) + 1;
            if (c >= n)
            {
                break;
            }

            if (c + 1 < n && w[c + 1] > w[c])
            {
                c++;
            }

            if (w[c] <= weight)
            {
                break;
            }

            w[j] = w[c];
            l[j] = l[c];
            j = c;
        }

        w[j] = weight;
        l[j] = newLeaf;
    }
}

/// <summary>An anomaly score split per column into the part due to high values and the part due to low values.</summary>
public sealed record AnomalyAttribution(double Score, double[] High, double[] Low)
{
    /// <summary>
    /// The ANOMALY_EXPLANATION JSON: <c>{"COL":{"DIRECTION":"HIGH","STRENGTH":"0.0922","ATTRIBUTION_SCORE":"0.3792"},…}</c>,
    /// values as strings with 4 decimals; ATTRIBUTION_SCORE = High + Low; with directionality DIRECTION is the larger side
    /// and STRENGTH = |High − Low| (the directional part of the attribution).
    /// </summary>
    public string ToJson(IReadOnlyList<string> columnNames, bool withDirectionality)
    {
        if (columnNames.Count != High.Length)
        {
            throw new ArgumentException($"{columnNames.Count} column names for {High.Length} attributed columns", nameof(columnNames));
        }

        var sb = new StringBuilder(64 * High.Length);
        sb.Append('{');
        for (var i = 0; i < High.Length; i++)
        {
            if (i > 0)
            {
                sb.Append(',');
            }

            sb.Append(System.Text.Json.JsonSerializer.Serialize(columnNames[i])).Append(":{");
            if (withDirectionality)
            {
                sb.Append("\"DIRECTION\":\"").Append(High[i] >= Low[i] ? "HIGH" : "LOW").Append("\",\"STRENGTH\":\"")
                    .Append(Math.Abs(High[i] - Low[i]).ToString("F4", CultureInfo.InvariantCulture)).Append("\",");
            }

            sb.Append("\"ATTRIBUTION_SCORE\":\"").Append((High[i] + Low[i]).ToString("F4", CultureInfo.InvariantCulture)).Append("\"}");
        }

        return sb.Append('}').ToString();
    }
}
