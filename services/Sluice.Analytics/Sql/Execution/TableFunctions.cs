using Sluice.Analytics.Sql.Functions.Streaming;

namespace Sluice.Analytics.Sql.Execution;

/// <summary>
/// RANDOM_CUT_FOREST[_WITH_EXPLANATION] and HOTSPOTS: each cursor row passes through with its score (and explanation or
/// hotspot JSON) appended, computed from the row's numeric columns.
/// </summary>
internal sealed class PointScoringOperator : Operator
{
    private readonly int[] numeric;
    private readonly double[] point;
    private readonly string[] names;
    private readonly bool explain, directionality;
    private RandomCutForest? forest;
    private Hotspots? hotspots;

    public PointScoringOperator(int[] numeric, string[] names, RandomCutForest? forest, Hotspots? hotspots, bool explain, bool directionality)
    {
        this.numeric = numeric;
        this.names = names;
        this.forest = forest;
        this.hotspots = hotspots;
        this.explain = explain;
        this.directionality = directionality;
        point = new double[numeric.Length];
    }

    public override void OnRow(Row row)
    {
        for (int i = 0; i < numeric.Length; i++)
        {
            point[i] = row.Values[numeric[i]] switch
            {
                long l => l,
                double d => d,
                _ => 0,
            };
        }

        int width = row.Values.Length;
        var values = new object?[width + (explain ? 2 : 1)];
        Array.Copy(row.Values, values, width);
        if (hotspots is not null)
        {
            values[width] = hotspots.Update(point);
        }
        else if (explain)
        {
            var attribution = forest!.ExplainAndUpdate(point);
            values[width] = attribution.Score;
            values[width + 1] = attribution.ToJson(names, directionality);
        }
        else
        {
            values[width] = forest!.ScoreAndUpdate(point);
        }

        Next!.OnRow(row.With(values));
    }

    public override long Entries => 1;

    public override void Save(StateWriter writer)
    {
        if (forest is not null)
        {
            forest.Save(writer.Raw);
        }
        else
        {
            hotspots!.Save(writer.Raw);
        }
    }

    public override void Load(StateReader reader)
    {
        if (forest is not null)
        {
            forest = RandomCutForest.Load(reader.Raw);
        }
        else
        {
            hotspots = Hotspots.Load(reader.Raw);
        }
    }
}

/// <summary>
/// TOP_K_ITEMS_TUMBLING and COUNT_DISTINCT_ITEMS_TUMBLING: sketches of one column over tumbling ROWTIME windows of
/// windowSeconds, emitted at the window end (top items by descending count, or one distinct count).
/// </summary>
internal sealed class ItemSketchOperator : Operator
{
    private readonly int column;
    private readonly TimeSpan window;
    private TopKItems? topK;
    private DistinctCounter? distinct;
    private DateTime? current;

    public ItemSketchOperator(int column, TimeSpan window, TopKItems? topK, DistinctCounter? distinct)
    {
        this.column = column;
        this.window = window;
        this.topK = topK;
        this.distinct = distinct;
    }

    public override void OnRow(Row row)
    {
        var start = ScalarOps.Step(row.Time, window)!.Value;
        if (current is { } open && start > open)
        {
            Flush();
        }

        current ??= start;
        string? item = row.Values[column] switch
        {
            null => null,
            string s => s,
            DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            var v => v.ToString(),
        };
        if (topK is not null)
        {
            topK.Add(item);
        }
        else
        {
            distinct!.Add(item);
        }
    }

    public override void OnTime(DateTime time)
    {
        if (current is { } open && open + window <= time)
        {
            Flush();
        }

        Next?.OnTime(time);
    }

    private void Flush()
    {
        var end = current!.Value + window;
        current = null;
        if (topK is not null)
        {
            foreach (var (item, count) in topK.Top())
            {
                Next!.OnRow(new Row(end, [item, count]));
            }

            topK.Reset();
        }
        else
        {
            Next!.OnRow(new Row(end, [distinct!.Count]));
            distinct.Reset();
        }
    }

    public override void Save(StateWriter writer)
    {
        writer.Write(current.HasValue);
        writer.Write(current ?? default);
        if (topK is not null)
        {
            topK.Save(writer.Raw);
        }
        else
        {
            distinct!.Save(writer.Raw);
        }
    }

    public override void Load(StateReader reader)
    {
        bool has = reader.ReadBool();
        var open = reader.ReadTime();
        current = has ? open : null;
        if (topK is not null)
        {
            topK = TopKItems.Load(reader.Raw);
        }
        else
        {
            distinct = DistinctCounter.Load(reader.Raw);
        }
    }
}

/// <summary>
/// GROUP_RANK: gathers the cursor's rows that share a ROWTIME, ranks them by one column (RANK(): ties share a rank and
/// leave a gap; NULLs rank last) and emits the group when a later ROWTIME arrives or, with maxIdle &gt; 0, once time
/// has moved maxIdle past the group's ROWTIME. Rows come out in rank order (outputOrder) with the rank written to the
/// rank column, at most outputMax of them (0 = all).
/// </summary>
internal sealed class GroupRankOperator(int rankBy, int rankOut, int width, bool descending, bool outputDescending, TimeSpan maxIdle, int outputMax) : Operator
{
    private readonly List<Row> group = [];
    private int[] order = [];

    public override void OnRow(Row row)
    {
        if (group.Count > 0 && row.Time != group[0].Time)
        {
            Flush();
        }

        var values = new object?[width];
        Array.Copy(row.Values, values, row.Values.Length);
        group.Add(row.With(values));
    }

    public override void OnTime(DateTime time)
    {
        if (group.Count > 0 && maxIdle > TimeSpan.Zero && time >= group[0].Time + maxIdle)
        {
            Flush();
        }

        Next?.OnTime(time);
    }

    private void Flush()
    {
        int n = group.Count;
        if (order.Length < n)
        {
            order = new int[Math.Max(n, order.Length * 2)];
        }

        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }

        // Stable: equal values keep arrival order (the index breaks ties).
        Array.Sort(order, 0, n, Comparer<int>.Create((a, b) => Compare(a, b) is var c && c != 0 ? c : a.CompareTo(b)));
        for (int i = 0; i < n; i++)
        {
            group[order[i]].Values[rankOut] = i > 0 && Compare(order[i - 1], order[i]) == 0 ? group[order[i - 1]].Values[rankOut] : (long)(i + 1);
        }

        int emit = outputMax > 0 ? Math.Min(outputMax, n) : n;
        var rows = group.ToArray();
        group.Clear();
        if (!outputDescending)
        {
            for (int k = 0; k < emit; k++)
            {
                Next!.OnRow(rows[order[k]]);
            }

            return;
        }

        // Highest rank first; rows that tie keep their arrival order.
        int emitted = 0;
        for (int end = n; end > 0 && emitted < emit;)
        {
            int start = end - 1;
            while (start > 0 && Equals(rows[order[start - 1]].Values[rankOut], rows[order[start]].Values[rankOut]))
            {
                start--;
            }

            for (int k = start; k < end && emitted < emit; k++, emitted++)
            {
                Next!.OnRow(rows[order[k]]);
            }

            end = start;
        }
    }

    // Rank order: by the rank column (descending for 'desc'), NULLs last either way.
    private int Compare(int a, int b)
    {
        var x = group[a].Values[rankBy];
        var y = group[b].Values[rankBy];
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : 1) : -1;
        }

        int c = x is string s ? string.CompareOrdinal(s, (string)y) : ((IComparable)x).CompareTo(y);
        return descending ? -c : c;
    }

    public override long Entries => group.Count;

    public override void Save(StateWriter writer)
    {
        writer.Write(group.Count);
        foreach (var row in group)
        {
            writer.WriteRow(row);
        }
    }

    public override void Load(StateReader reader)
    {
        group.Clear();
        int n = reader.ReadInt();
        for (int i = 0; i < n; i++)
        {
            group.Add(reader.ReadRow());
        }
    }
}
