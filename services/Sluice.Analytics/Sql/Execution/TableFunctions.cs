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
