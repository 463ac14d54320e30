namespace Sluice.Analytics.Sql.Execution;

/// <summary>The running state of one aggregate for one group, window or partition.</summary>
internal abstract class Accumulator
{
    public abstract void Add(Row row);

    /// <summary>Removes a row that left a sliding window; false when this aggregate must be recomputed instead.</summary>
    public virtual bool TryRemove(Row row) => false;

    public abstract object? Result();

    /// <summary>Back to the empty state, so a group's accumulators are reused by the next window.</summary>
    public abstract void Reset();

    public abstract void Save(StateWriter writer);

    public abstract void Load(StateReader reader);
}

internal sealed class CountAccumulator(Func<Row, object?>? argument) : Accumulator
{
    private long count;

    public override void Add(Row row)
    {
        if (argument is null || argument(row) is not null)
        {
            count++;
        }
    }

    public override bool TryRemove(Row row)
    {
        if (argument is null || argument(row) is not null)
        {
            count--;
        }

        return true;
    }

    public override void Reset()
    {
        count = 0;
    }

    public override object? Result() => count;

    public override void Save(StateWriter writer) => writer.Write(count);

    public override void Load(StateReader reader) => count = reader.ReadLong();
}

internal sealed class LongSumAccumulator(Func<Row, long?> argument, bool average) : Accumulator
{
    private long sum, count;

    public override void Add(Row row)
    {
        if (argument(row) is { } v)
        {
            sum += v;
            count++;
        }
    }

    public override bool TryRemove(Row row)
    {
        if (argument(row) is { } v)
        {
            sum -= v;
            count--;
        }

        return true;
    }

    public override void Reset()
    {
        sum = 0;
        count = 0;
    }

    public override object? Result() => ResultOf(sum, count, average);

    public static object? ResultOf(long sum, long count, bool average) => count == 0 ? null : average ? sum / count : sum;

    public override void Save(StateWriter writer)
    {
        writer.Write(sum);
        writer.Write(count);
    }

    public override void Load(StateReader reader)
    {
        sum = reader.ReadLong();
        count = reader.ReadLong();
    }
}

internal sealed class DecimalSumAccumulator(Func<Row, decimal?> argument, bool average) : Accumulator
{
    private decimal sum;
    private long count;

    public override void Add(Row row)
    {
        if (argument(row) is { } v)
        {
            sum += v;
            count++;
        }
    }

    public override bool TryRemove(Row row)
    {
        if (argument(row) is { } v)
        {
            sum -= v;
            count--;
        }

        return true;
    }

    public override void Reset()
    {
        sum = 0;
        count = 0;
    }

    public override object? Result() => count == 0 ? null : average ? sum / count : sum;

    public override void Save(StateWriter writer)
    {
        writer.Write(sum);
        writer.Write(count);
    }

    public override void Load(StateReader reader)
    {
        sum = reader.ReadDecimal();
        count = reader.ReadLong();
    }
}

/// <summary>SUM/AVG/VAR_*/STDDEV_* over doubles (sum and sum of squares, so sliding windows can remove rows).</summary>
internal sealed class DoubleMomentsAccumulator(Func<Row, double?> argument, string function) : Accumulator
{
    private double sum, squares;
    private long count;

    public override void Add(Row row)
    {
        if (argument(row) is { } v)
        {
            sum += v;
            squares += v * v;
            count++;
        }
    }

    public override bool TryRemove(Row row)
    {
        if (argument(row) is { } v)
        {
            sum -= v;
            squares -= v * v;
            count--;
        }

        if (count == 0)
        {
            sum = 0;
            squares = 0;
        }

        return true;
    }

    public override void Reset()
    {
        sum = 0;
        squares = 0;
        count = 0;
    }

    public override object? Result() => ResultOf(function, sum, squares, count);

    public static object? ResultOf(string function, double sum, double squares, long count)
    {
        if (count == 0)
        {
            return null;
        }

        switch (function)
        {
            case "SUM": return sum;
            case "AVG": return sum / count;
        }

        bool sample = function.EndsWith("_SAMP", StringComparison.Ordinal);
        if (sample && count < 2)
        {
            return null;
        }

        double variance = Math.Max(0, (squares - (sum * sum / count)) / (sample ? count - 1 : count));
        return function.StartsWith("STDDEV", StringComparison.Ordinal) ? Math.Sqrt(variance) : variance;
    }

    public override void Save(StateWriter writer)
    {
        writer.Write(sum);
        writer.Write(squares);
        writer.Write(count);
    }

    public override void Load(StateReader reader)
    {
        sum = reader.ReadDouble();
        squares = reader.ReadDouble();
        count = reader.ReadLong();
    }
}

/// <summary>MIN / MAX / FIRST_VALUE / LAST_VALUE.</summary>
internal sealed class PickAccumulator(Func<Row, object?> argument, string function) : Accumulator
{
    private object? value;
    private bool seen;

    public override void Add(Row row)
    {
        var v = argument(row);
        switch (function)
        {
            case "FIRST_VALUE":
                if (!seen)
                {
                    value = v;
                }

                break;
            case "LAST_VALUE":
                value = v;
                break;
            default:
                if (v is not null && (value is null || (((IComparable)v).CompareTo(value) is var c && (function == "MIN" ? c < 0 : c > 0))))
                {
                    value = v;
                }

                break;
        }

        seen = true;
    }

    public override void Reset()
    {
        value = null;
        seen = false;
    }

    public override object? Result() => value;

    public override void Save(StateWriter writer)
    {
        writer.WriteValue(value);
        writer.Write(seen);
    }

    public override void Load(StateReader reader)
    {
        value = reader.ReadValue();
        seen = reader.ReadBool();
    }
}

/// <summary>ANY / SOME / EVERY over a boolean condition.</summary>
internal sealed class BooleanAccumulator(Func<Row, bool?> argument, bool every) : Accumulator
{
    private long trues, known;

    public override void Add(Row row)
    {
        if (argument(row) is { } v)
        {
            known++;
            trues += v ? 1 : 0;
        }
    }

    public override bool TryRemove(Row row)
    {
        if (argument(row) is { } v)
        {
            known--;
            trues -= v ? 1 : 0;
        }

        return true;
    }

    public override void Reset()
    {
        trues = 0;
        known = 0;
    }

    public override object? Result() => known == 0 ? null : every ? trues == known : trues > 0;

    public override void Save(StateWriter writer)
    {
        writer.Write(trues);
        writer.Write(known);
    }

    public override void Load(StateReader reader)
    {
        trues = reader.ReadLong();
        known = reader.ReadLong();
    }
}

/// <summary>EXP_AVG(x, half-life): an average whose weights halve every half-life of ROWTIME.</summary>
internal sealed class ExponentialAverageAccumulator(Func<Row, double?> argument, TimeSpan halfLife) : Accumulator
{
    private double sum, weight;
    private DateTime last;

    public override void Add(Row row)
    {
        if (argument(row) is not { } v)
        {
            return;
        }

        if (weight > 0)
        {
            double factor = Math.Pow(2, -(row.Time - last).Ticks / (double)halfLife.Ticks);
            sum *= factor;
            weight *= factor;
        }

        sum += v;
        weight += 1;
        last = row.Time;
    }

    public override void Reset()
    {
        sum = 0;
        weight = 0;
        last = default;
    }

    public override object? Result() => weight == 0 ? null : sum / weight;

    public override void Save(StateWriter writer)
    {
        writer.Write(sum);
        writer.Write(weight);
        writer.Write(last);
    }

    public override void Load(StateReader reader)
    {
        sum = reader.ReadDouble();
        weight = reader.ReadDouble();
        last = reader.ReadTime();
    }
}

/// <summary>How to make an aggregate's accumulator; analytic functions (LAG, NTH_VALUE) read the window buffer instead.</summary>
internal sealed class AggregateSpec(string function, Func<Accumulator>? create, Func<Row, object?>? argument = null, long offset = 0, Func<Row, object?>? fallback = null)
{
    public string Function { get; } = function;

    public Func<Accumulator>? Create { get; } = create;

    public Func<Row, object?>? Argument { get; } = argument;

    public long Offset { get; } = offset;

    public Func<Row, object?>? Fallback { get; } = fallback;

    /// <summary>The same aggregate as flat cells, when it has that form (the tumbling GROUP BY fast path needs it for every aggregate).</summary>
    public FlatAggregate? Flat { get; init; }

    public static Accumulator[] NewSet(AggregateSpec[] specs)
    {
        var set = new Accumulator[specs.Length];
        for (int i = 0; i < specs.Length; i++)
        {
            set[i] = specs[i].Create?.Invoke()!;
        }

        return set;
    }
}
