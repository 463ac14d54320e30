namespace Sluice.Analytics.Sql.Execution;

/// <summary>A push-based incremental operator: rows in ROWTIME order, and time progress (which closes windows).</summary>
internal abstract class Operator
{
    public Operator? Next { get; set; }

    public abstract void OnRow(Row row);

    /// <summary>No row before <paramref name="time"/> will arrive any more.</summary>
    public virtual void OnTime(DateTime time) => Next?.OnTime(time);

    public virtual void Save(StateWriter writer)
    {
    }

    public virtual void Load(StateReader reader)
    {
    }

    public virtual long Entries => 0;

    /// <summary>
    /// Whether this operator, or one after it, may still hold a row after OnRow returns. When it may not, the operator
    /// before it hands every row in one reused Row and values array (emission allocates nothing per row but the values).
    /// </summary>
    public virtual bool KeepsRows => true;
}

/// <summary>Receives error_stream rows.</summary>
internal interface IErrorSink
{
    void Report(DateTime rowtime, string name, string message, DateTime? dataRowtime, string dataRowHex, string? pump);
}

/// <summary>Entry of a pump: a row that fails (division by zero, bad cast) goes to error_stream instead of the target.</summary>
internal sealed class PumpGuard(string pump, IErrorSink errors) : Operator
{
    public override void OnRow(Row row)
    {
        try
        {
            Next!.OnRow(row);
        }
        catch (SqlRuntimeException e)
        {
            errors.Report(row.Time, e.ErrorName, e.Message, row.Time, RowHex.Of(row.Values), pump);
        }
        catch (Functions.SqlFunctionException e)
        {
            errors.Report(row.Time, "FUNCTION_ERROR", e.Message, row.Time, RowHex.Of(row.Values), pump);
        }
        catch (Exception e) when (e is ArithmeticException or InvalidCastException or FormatException or ArgumentException)
        {
            errors.Report(row.Time, e is DivideByZeroException ? "DIVISION_BY_ZERO" : "SQL_RUNTIME_ERROR", e.Message, row.Time, RowHex.Of(row.Values), pump);
        }
    }
}

/// <summary>WHERE / HAVING.</summary>
internal sealed class FilterOperator(Func<Row, bool> predicate) : Operator
{
    public override bool KeepsRows => Next?.KeepsRows ?? true;

    public override void OnRow(Row row)
    {
        if (predicate(row))
        {
            Next!.OnRow(row);
        }
    }
}

/// <summary>The select list: one output row per input row; an item aliased ROWTIME sets the row's time.</summary>
internal sealed class ProjectOperator(Func<Row, object?>[] items, int rowtimeItem) : Operator
{
    // Decided at the first row, once the plan is wired: whether the next operator lets one output row be reused.
    private Row? reused;
    private bool decided;

    public override bool KeepsRows => false;

    public override void OnRow(Row row)
    {
        if (!decided)
        {
            decided = true;
            reused = Next!.KeepsRows ? null : new Row(default, new object?[rowtimeItem < 0 ? items.Length : items.Length - 1]);
        }

        var values = reused?.Values ?? new object?[rowtimeItem < 0 ? items.Length : items.Length - 1];
        int j = 0;
        var time = row.Time;
        for (int i = 0; i < items.Length; i++)
        {
            var value = items[i](row);
            if (i == rowtimeItem)
            {
                time = value is DateTime t ? t : throw new SqlRuntimeException("ROWTIME_NULL", "ROWTIME cannot be NULL");
                continue;
            }

            values[j++] = value;
        }

        var output = reused?.Reuse(row, values) ?? row.With(values);
        output.Time = time;
        Next!.OnRow(output);
    }
}

/// <summary>SELECT DISTINCT within one ROWTIME: a repeated row at the same ROWTIME is dropped.</summary>
internal sealed class DistinctOperator : Operator
{
    private readonly HashSet<GroupKey> seen = [];
    private DateTime current;

    public override void OnRow(Row row)
    {
        if (row.Time != current)
        {
            seen.Clear();
            current = row.Time;
        }

        if (seen.Add(GroupKey.Of(row.Values)))
        {
            Next!.OnRow(row);
        }
    }

    public override long Entries => seen.Count;

    public override void Save(StateWriter writer)
    {
        writer.Write(current);
        writer.Write(seen.Count);
        foreach (var key in seen)
        {
            writer.WriteValues(key.ToArray());
        }
    }

    public override void Load(StateReader reader)
    {
        current = reader.ReadTime();
        int n = reader.ReadInt();
        seen.Clear();
        for (int i = 0; i < n; i++)
        {
            seen.Add(GroupKey.Of(reader.ReadValues()));
        }
    }
}

/// <summary>INSERT INTO a stream: values converted to the target's column types and placed in its column order.</summary>
internal sealed class InsertOperator(StreamNode target, int producer, int[] targetPositions, SqlType[] targetTypes, string pump) : Operator
{
    // A stream nobody reads inside the application only hands rows to the sink, which copies them: one row is reused.
    private Row? reused;
    private bool decided;

    public override bool KeepsRows => false;

    public override void OnRow(Row row)
    {
        if (!decided)
        {
            decided = true;
            reused = target.Subscribers.Count == 0 ? new Row(default, new object?[targetTypes.Length]) : null;
        }

        var values = reused?.Values ?? new object?[targetTypes.Length];
        for (int i = 0; i < targetPositions.Length; i++)
        {
            int position = targetPositions[i];
            values[position] = ValueConversion.To(row.Values[i], targetTypes[position]);
        }

        var output = reused?.Reuse(row, values) ?? row.With(values);
        target.Insert(output, producer, pump);
    }

    public override void OnTime(DateTime time) => target.Advance(producer, time);
}

/// <summary>Converts a value to the CLR type of a column type at insert (integers to decimals, decimals to doubles...).</summary>
internal static class ValueConversion
{
    public static object? To(object? value, SqlType type)
    {
        switch (value)
        {
            case null:
                return null;
            case long l:
                return type.Kind switch
                {
                    SqlTypeKind.Decimal => (decimal)l,
                    SqlTypeKind.Real or SqlTypeKind.Double => (double)l,
                    SqlTypeKind.Char or SqlTypeKind.Varchar => ScalarOps.Cast(l, type),
                    _ => value,
                };
            case decimal m:
                return type.Kind switch
                {
                    SqlTypeKind.Decimal => type.Precision > 0 ? Math.Round(m, type.Scale, MidpointRounding.AwayFromZero) : m,
                    SqlTypeKind.Real or SqlTypeKind.Double => (double)m,
                    SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Integer or SqlTypeKind.BigInt => ScalarOps.Cast(m, type),
                    SqlTypeKind.Char or SqlTypeKind.Varchar => ScalarOps.Cast(m, type),
                    _ => value,
                };
            case double d:
                return type.Kind switch
                {
                    SqlTypeKind.Decimal or SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Integer or SqlTypeKind.BigInt or SqlTypeKind.Char or SqlTypeKind.Varchar => ScalarOps.Cast(d, type),
                    _ => value,
                };
            case string s:
                return type.Kind is SqlTypeKind.Char or SqlTypeKind.Varchar
                    ? (type.Length > 0 && s.Length > type.Length ? throw new SqlRuntimeException("VALUE_TOO_LARGE", $"Value of {s.Length} characters does not fit {type.Kind}({type.Length})") : s)
                    : ScalarOps.Cast(s, type);
            case DateTime t:
                return type.Kind == SqlTypeKind.Date ? t.Date : type.Kind is SqlTypeKind.Char or SqlTypeKind.Varchar ? ScalarOps.Cast(t, type) : value;
            default:
                return value;
        }
    }
}

/// <summary>An in-application stream: checks ROWTIME order, hands rows to the sink when it is an output, and feeds the pumps reading it.</summary>
internal sealed class StreamNode(string name, Action<string, DateTime, object?[]>? sink, IErrorSink errors)
{
    private readonly List<DateTime> producers = [];

    public string Name { get; } = name;

    public List<Operator> Subscribers { get; } = [];

    public DateTime LastRowtime { get; set; } = DateTime.MinValue;

    public DateTime Forwarded { get; set; } = DateTime.MinValue;

    public int AddProducer()
    {
        producers.Add(DateTime.MinValue);
        return producers.Count - 1;
    }

    public void Insert(Row row, int producer, string? pump)
    {
        if (row.Time < LastRowtime)
        {
            errors.Report(row.Time, "OUT_OF_ORDER", $"Row with ROWTIME {row.Time:yyyy-MM-dd HH:mm:ss.fff} is earlier than the current ROWTIME {LastRowtime:yyyy-MM-dd HH:mm:ss.fff} of stream {Name}", row.Time, RowHex.Of(row.Values), pump);
            return;
        }

        LastRowtime = row.Time;
        if (producer >= 0 && producers[producer] < row.Time)
        {
            producers[producer] = row.Time;
        }

        sink?.Invoke(Name, row.Time, row.Values);
        foreach (var subscriber in Subscribers)
        {
            subscriber.OnRow(row);
        }
    }

    /// <summary>One producer's time progress; the stream's time is the slowest producer's, so fan-in stays ordered.</summary>
    public void Advance(int producer, DateTime time)
    {
        if (producer >= 0)
        {
            if (producers[producer] < time)
            {
                producers[producer] = time;
            }

            time = DateTime.MaxValue;
            foreach (var t in producers)
            {
                if (t < time)
                {
                    time = t;
                }
            }
        }

        if (time <= Forwarded)
        {
            return;
        }

        Forwarded = time;
        foreach (var subscriber in Subscribers)
        {
            subscriber.OnTime(time);
        }
    }

    public void Save(StateWriter writer)
    {
        writer.Write(LastRowtime);
        writer.Write(Forwarded);
        writer.Write(producers.Count);
        foreach (var t in producers)
        {
            writer.Write(t);
        }
    }

    public void Load(StateReader reader)
    {
        LastRowtime = reader.ReadTime();
        Forwarded = reader.ReadTime();
        int n = reader.ReadInt();
        for (int i = 0; i < n; i++)
        {
            var t = reader.ReadTime();
            if (i < producers.Count)
            {
                producers[i] = t;
            }
        }
    }
}

/// <summary>A group or partition key of up to three values without allocation; more values spill to an array.</summary>
internal readonly struct GroupKey : IEquatable<GroupKey>
{
    private readonly object? a, b, c;
    private readonly object?[]? rest;
    private readonly int count, hash;

    public GroupKey(int count, object? a, object? b, object? c, object?[]? rest)
    {
        this.count = count;
        this.a = a;
        this.b = b;
        this.c = c;
        this.rest = rest;
        var h = new HashCode();
        h.Add(a);
        h.Add(b);
        h.Add(c);
        if (rest is not null)
        {
            foreach (var v in rest)
            {
                h.Add(v);
            }
        }

        hash = h.ToHashCode();
    }

    public static GroupKey Of(object?[] values) => values.Length switch
    {
        0 => new GroupKey(0, null, null, null, null),
        1 => new GroupKey(1, values[0], null, null, null),
        2 => new GroupKey(2, values[0], values[1], null, null),
        3 => new GroupKey(3, values[0], values[1], values[2], null),
        _ => new GroupKey(values.Length, values[0], values[1], values[2], values[3..]),
    };

    public object?[] ToArray()
    {
        var values = new object?[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = i switch { 0 => a, 1 => b, 2 => c, _ => rest![i - 3] };
        }

        return values;
    }

    public bool Equals(GroupKey other)
    {
        if (hash != other.hash || count != other.count || !Equals(a, other.a) || !Equals(b, other.b) || !Equals(c, other.c))
        {
            return false;
        }

        if (rest is null)
        {
            return true;
        }

        for (int i = 0; i < rest.Length; i++)
        {
            if (!Equals(rest[i], other.rest![i]))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is GroupKey other && Equals(other);

    public override int GetHashCode() => hash;
}

/// <summary>Computes a <see cref="GroupKey"/> from a row with compiled key expressions.</summary>
internal sealed class KeyExtractor(Func<Row, object?>[] keys)
{
    public int Count => keys.Length;

    public GroupKey Of(Row row) => keys.Length switch
    {
        0 => new GroupKey(0, null, null, null, null),
        1 => new GroupKey(1, keys[0](row), null, null, null),
        2 => new GroupKey(2, keys[0](row), keys[1](row), null, null),
        3 => new GroupKey(3, keys[0](row), keys[1](row), keys[2](row), null),
        _ => Spill(row),
    };

    private GroupKey Spill(Row row)
    {
        var rest = new object?[keys.Length - 3];
        for (int i = 3; i < keys.Length; i++)
        {
            rest[i - 3] = keys[i](row);
        }

        return new GroupKey(keys.Length, keys[0](row), keys[1](row), keys[2](row), rest);
    }
}
