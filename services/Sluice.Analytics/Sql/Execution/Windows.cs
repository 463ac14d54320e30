namespace Sluice.Analytics.Sql.Execution;

/// <summary>One group's key values and accumulators.</summary>
internal sealed class Group(object?[] keys, Accumulator[] accumulators)
{
    public object?[] Keys { get; } = keys;

    public Accumulator[] Accumulators { get; } = accumulators;

    public DateTime Open { get; set; }

    public long Sequence { get; set; }

    /// <summary>Whether the group saw a row in the open window (tumbling groups are kept and reused across windows).</summary>
    public bool Active { get; set; }
}

/// <summary>
/// Tumbling GROUP BY: groups of the current ROWTIME window (STEP/FLOOR of ROWTIME); when a row from a later window
/// arrives or time passes the window end, every group emits one row [group values..., aggregates...] at ROWTIME = window end.
/// </summary>
internal sealed class TumblingAggregateOperator(
    Func<Row, DateTime?> windowStart,
    Func<DateTime, DateTime> windowEnd,
    int windowKeyPosition,
    Func<Row, object?>[] keys,
    AggregateSpec[] aggregates) : Operator
{
    private readonly KeyExtractor extractor = new(keys);
    private readonly Dictionary<GroupKey, Group> groups = [];
    private readonly List<Group> active = [];
    private DateTime? current;
    private DateTime currentEnd = DateTime.MinValue;

    public override void OnRow(Row row)
    {
        // Rows are in ROWTIME order, so a row before the open window's end belongs to it: no per-row window computation.
        if (current is null || row.Time >= currentEnd)
        {
            var start = windowStart(row) ?? throw new SqlRuntimeException("NULL_WINDOW", "The window expression is NULL");
            if (current is { } open && start > open)
            {
                Flush();
            }

            if (current is null)
            {
                current = start;
                currentEnd = windowEnd(start);
            }
        }

        var key = extractor.Of(row);
        if (!groups.TryGetValue(key, out var group))
        {
            var keyValues = new object?[keys.Length];
            for (int i = 0; i < keys.Length; i++)
            {
                keyValues[i] = keys[i](row);
            }

            group = new Group(keyValues, AggregateSpec.NewSet(aggregates));
            groups.Add(key, group);
        }

        if (!group.Active)
        {
            group.Active = true;
            active.Add(group);
        }

        var accumulators = group.Accumulators;
        for (int i = 0; i < accumulators.Length; i++)
        {
            accumulators[i].Add(row);
        }
    }

    public override void OnTime(DateTime time)
    {
        if (current is not null && currentEnd <= time)
        {
            Flush();
        }

        Next?.OnTime(time);
    }

    private void Flush()
    {
        var open = current!.Value;
        var end = currentEnd;
        object boxedOpen = open;
        current = null;
        int width = keys.Length + 1 + aggregates.Length;
        foreach (var group in active)
        {
            var values = new object?[width];
            int k = 0;
            for (int i = 0; i < keys.Length + 1; i++)
            {
                values[i] = i == windowKeyPosition ? boxedOpen : group.Keys[k++];
            }

            for (int i = 0; i < aggregates.Length; i++)
            {
                values[keys.Length + 1 + i] = group.Accumulators[i].Result();
                group.Accumulators[i].Reset();
            }

            group.Sequence = 0;
            Next!.OnRow(new Row(end, values));
        }

        // Groups idle for a whole window are forgotten; the others are reused by the next window.
        if (groups.Count > active.Count)
        {
            List<GroupKey>? idle = null;
            foreach (var (key, group) in groups)
            {
                if (!group.Active)
                {
                    (idle ??= []).Add(key);
                }
            }

            foreach (var key in idle!)
            {
                groups.Remove(key);
            }
        }

        foreach (var group in active)
        {
            group.Active = false;
        }

        active.Clear();
    }

    public override long Entries => active.Count;

    public override void Save(StateWriter writer)
    {
        writer.Write(current.HasValue);
        writer.Write(current ?? default);
        writer.Write(active.Count);
        foreach (var group in active)
        {
            writer.WriteValues(group.Keys);
            foreach (var accumulator in group.Accumulators)
            {
                accumulator.Save(writer);
            }
        }
    }

    public override void Load(StateReader reader)
    {
        bool has = reader.ReadBool();
        var open = reader.ReadTime();
        current = has ? open : null;
        currentEnd = has ? windowEnd(open) : DateTime.MinValue;
        groups.Clear();
        active.Clear();
        int n = reader.ReadInt();
        for (int g = 0; g < n; g++)
        {
            var keyValues = reader.ReadValues();
            var group = new Group(keyValues, AggregateSpec.NewSet(aggregates)) { Active = true };
            foreach (var accumulator in group.Accumulators)
            {
                accumulator.Load(reader);
            }

            groups.Add(GroupKey.Of(keyValues), group);
            active.Add(group);
        }
    }
}

/// <summary>
/// WINDOWED BY STAGGER: a window per partition key opens with its first row and closes RANGE later, emitting
/// [partition values..., aggregates...] at ROWTIME = open + range.
/// </summary>
internal sealed class StaggerAggregateOperator(Func<Row, object?>[] keys, TimeSpan range, AggregateSpec[] aggregates) : Operator
{
    private readonly KeyExtractor extractor = new(keys);
    private readonly Dictionary<GroupKey, Group> windows = [];
    private readonly PriorityQueue<GroupKey, (DateTime Close, long Sequence)> timers = new();
    private long sequence;

    public override void OnRow(Row row)
    {
        Close(row.Time);
        var key = extractor.Of(row);
        if (!windows.TryGetValue(key, out var window))
        {
            var keyValues = new object?[keys.Length];
            for (int i = 0; i < keys.Length; i++)
            {
                keyValues[i] = keys[i](row);
            }

            window = new Group(keyValues, AggregateSpec.NewSet(aggregates)) { Open = row.Time, Sequence = sequence++ };
            windows.Add(key, window);
            timers.Enqueue(key, (row.Time + range, window.Sequence));
        }

        foreach (var accumulator in window.Accumulators)
        {
            accumulator.Add(row);
        }
    }

    public override void OnTime(DateTime time)
    {
        Close(time);
        Next?.OnTime(time);
    }

    private void Close(DateTime time)
    {
        while (timers.TryPeek(out var key, out var due) && due.Close <= time)
        {
            timers.Dequeue();
            var window = windows[key];
            windows.Remove(key);
            var values = new object?[keys.Length + aggregates.Length];
            Array.Copy(window.Keys, values, keys.Length);
            for (int i = 0; i < aggregates.Length; i++)
            {
                values[keys.Length + i] = window.Accumulators[i].Result();
            }

            Next!.OnRow(new Row(due.Close, values));
        }
    }

    public override long Entries => windows.Count;

    public override void Save(StateWriter writer)
    {
        writer.Write(sequence);
        writer.Write(windows.Count);
        foreach (var window in windows.Values)
        {
            writer.WriteValues(window.Keys);
            writer.Write(window.Open);
            writer.Write(window.Sequence);
            foreach (var accumulator in window.Accumulators)
            {
                accumulator.Save(writer);
            }
        }
    }

    public override void Load(StateReader reader)
    {
        sequence = reader.ReadLong();
        windows.Clear();
        timers.Clear();
        int n = reader.ReadInt();
        for (int w = 0; w < n; w++)
        {
            var keyValues = reader.ReadValues();
            var window = new Group(keyValues, AggregateSpec.NewSet(aggregates)) { Open = reader.ReadTime(), Sequence = reader.ReadLong() };
            foreach (var accumulator in window.Accumulators)
            {
                accumulator.Load(reader);
            }

            var key = GroupKey.Of(keyValues);
            windows.Add(key, window);
            timers.Enqueue(key, (window.Open + range, window.Sequence));
        }
    }
}

/// <summary>Rows of a sliding window frame, oldest first.</summary>
internal sealed class RowBuffer
{
    private readonly List<Row> rows = [];
    private int head;

    public int Count => rows.Count - head;

    public Row this[int i] => rows[head + i];

    public void Add(Row row) => rows.Add(row);

    public Row RemoveFirst()
    {
        var row = rows[head++];
        if (head > 64 && head * 2 > rows.Count)
        {
            rows.RemoveRange(0, head);
            head = 0;
        }

        return row;
    }
}

/// <summary>A sliding window definition: partition keys, RANGE or ROWS frame, and the aggregates computed over it.</summary>
internal sealed class SlidingWindow(Func<Row, object?>[] partition, TimeSpan? range, long? rows, AggregateSpec[] aggregates, int[] slots)
{
    public KeyExtractor Partition { get; } = new(partition);

    public Func<Row, object?>[] PartitionKeys { get; } = partition;

    public TimeSpan? Range { get; } = range;

    public long? Rows { get; } = rows;

    public AggregateSpec[] Aggregates { get; } = aggregates;

    public int[] Slots { get; } = slots;

    public Dictionary<GroupKey, SlidingPartition> Partitions { get; } = [];
}

internal sealed class SlidingPartition(object?[] keys, Accumulator[] accumulators)
{
    public object?[] Keys { get; } = keys;

    public RowBuffer Buffer { get; } = new();

    public Accumulator[] Accumulators { get; } = accumulators;
}

/// <summary>OVER windows: one output row per input row, with each windowed aggregate appended to the row's values.</summary>
internal sealed class SlidingWindowOperator(SlidingWindow[] windows, int width) : Operator
{
    // Decided at the first row, once the plan is wired: whether the next operator lets one output row be reused.
    private Row? reused;
    private bool decided;

    public override void OnRow(Row row)
    {
        if (!decided)
        {
            decided = true;
            reused = Next!.KeepsRows ? null : new Row(default, new object?[width]);
        }

        var values = reused?.Values ?? new object?[width];
        Array.Copy(row.Values, values, row.Values.Length);
        foreach (var window in windows)
        {
            var key = window.Partition.Of(row);
            if (!window.Partitions.TryGetValue(key, out var partition))
            {
                var keyValues = new object?[window.PartitionKeys.Length];
                for (int i = 0; i < keyValues.Length; i++)
                {
                    keyValues[i] = window.PartitionKeys[i](row);
                }

                partition = new SlidingPartition(keyValues, AggregateSpec.NewSet(window.Aggregates));
                window.Partitions.Add(key, partition);
            }

            var buffer = partition.Buffer;
            buffer.Add(row);
            foreach (var accumulator in partition.Accumulators)
            {
                accumulator?.Add(row);
            }

            bool recompute = false;
            while (buffer.Count > 0 && Expired(window, buffer, row))
            {
                var old = buffer.RemoveFirst();
                foreach (var accumulator in partition.Accumulators)
                {
                    if (accumulator is not null && !accumulator.TryRemove(old))
                    {
                        recompute = true;
                    }
                }
            }

            for (int a = 0; a < window.Aggregates.Length; a++)
            {
                var spec = window.Aggregates[a];
                values[window.Slots[a]] = spec.Create is null ? Analytic(spec, buffer, row) : Value(spec, partition.Accumulators[a], buffer, recompute);
            }
        }

        Next!.OnRow(reused?.Reuse(row, values) ?? row.With(values));
    }

    private static bool Expired(SlidingWindow window, RowBuffer buffer, Row current) =>
        window.Range is { } range ? buffer[0].Time < current.Time - range
        : window.Rows is { } rows && buffer.Count > rows + 1;

    private static object? Value(AggregateSpec spec, Accumulator accumulator, RowBuffer buffer, bool recompute)
    {
        if (!recompute || accumulator is CountAccumulator or LongSumAccumulator or DecimalSumAccumulator or DoubleMomentsAccumulator or BooleanAccumulator)
        {
            return accumulator.Result();
        }

        // MIN/MAX/FIRST/LAST cannot forget a row: rebuild over the frame.
        var fresh = spec.Create!();
        for (int i = 0; i < buffer.Count; i++)
        {
            fresh.Add(buffer[i]);
        }

        var state = new MemoryStream();
        fresh.Save(new StateWriter(new BinaryWriter(state)));
        state.Position = 0;
        accumulator.Load(new StateReader(new BinaryReader(state)));
        return accumulator.Result();
    }

    private static object? Analytic(AggregateSpec spec, RowBuffer buffer, Row row)
    {
        if (spec.Function == "LAG")
        {
            long index = buffer.Count - 1 - spec.Offset;
            return index >= 0 ? spec.Argument!(buffer[(int)index]) : spec.Fallback?.Invoke(row);
        }

        // NTH_VALUE(x, n): the n-th row of the frame, 1-based.
        return spec.Offset >= 1 && spec.Offset <= buffer.Count ? spec.Argument!(buffer[(int)spec.Offset - 1]) : null;
    }

    public override void OnTime(DateTime time)
    {
        // Forget partitions whose rows have all left their RANGE frame.
        foreach (var window in windows)
        {
            if (window.Range is not { } range)
            {
                continue;
            }

            List<GroupKey>? idle = null;
            foreach (var (key, partition) in window.Partitions)
            {
                if (partition.Buffer.Count == 0 || partition.Buffer[partition.Buffer.Count - 1].Time < time - range)
                {
                    (idle ??= []).Add(key);
                }
            }

            if (idle is not null)
            {
                foreach (var key in idle)
                {
                    window.Partitions.Remove(key);
                }
            }
        }

        Next?.OnTime(time);
    }

    public override long Entries
    {
        get
        {
            long n = 0;
            foreach (var window in windows)
            {
                foreach (var partition in window.Partitions.Values)
                {
                    n += partition.Buffer.Count;
                }
            }

            return n;
        }
    }

    public override void Save(StateWriter writer)
    {
        foreach (var window in windows)
        {
            writer.Write(window.Partitions.Count);
            foreach (var partition in window.Partitions.Values)
            {
                writer.WriteValues(partition.Keys);
                writer.Write(partition.Buffer.Count);
                for (int i = 0; i < partition.Buffer.Count; i++)
                {
                    writer.WriteRow(partition.Buffer[i]);
                }

                foreach (var accumulator in partition.Accumulators)
                {
                    accumulator?.Save(writer);
                }
            }
        }
    }

    public override void Load(StateReader reader)
    {
        foreach (var window in windows)
        {
            window.Partitions.Clear();
            int n = reader.ReadInt();
            for (int p = 0; p < n; p++)
            {
                var keys = reader.ReadValues();
                var partition = new SlidingPartition(keys, AggregateSpec.NewSet(window.Aggregates));
                int rows = reader.ReadInt();
                for (int i = 0; i < rows; i++)
                {
                    partition.Buffer.Add(reader.ReadRow());
                }

                foreach (var accumulator in partition.Accumulators)
                {
                    accumulator?.Load(reader);
                }

                window.Partitions.Add(GroupKey.Of(keys), partition);
            }
        }
    }
}

/// <summary>ORDER BY with a monotonic leading key: buffers one time bucket, sorts it by the other keys and emits it when the bucket closes.</summary>
internal sealed class OrderOperator(Func<Row, DateTime?> bucket, Func<DateTime, DateTime> bucketEnd, Func<Row, object?>[] keys, bool[] descending) : Operator
{
    private readonly List<Row> rows = [];
    private DateTime? current;

    public override void OnRow(Row row)
    {
        var b = bucket(row) ?? row.Time;
        if (current is { } open && b > open)
        {
            Flush();
        }

        current ??= b;
        rows.Add(row);
    }

    public override void OnTime(DateTime time)
    {
        if (current is { } open && bucketEnd(open) <= time)
        {
            Flush();
        }

        Next?.OnTime(time);
    }

    private void Flush()
    {
        current = null;
        if (rows.Count == 0)
        {
            return;
        }

        // Ties keep arrival order (the index breaks them), and every row leaves at the bucket's last ROWTIME.
        var order = new int[rows.Count];
        for (int i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, (a, b) => Compare(rows[a], rows[b]) is var c && c != 0 ? c : a.CompareTo(b));
        var last = rows[^1].Time;
        var sorted = new Row[order.Length];
        for (int i = 0; i < order.Length; i++)
        {
            sorted[i] = rows[order[i]];
        }

        rows.Clear();
        foreach (var row in sorted)
        {
            row.Time = last;
            Next!.OnRow(row);
        }
    }

    private int Compare(Row x, Row y)
    {
        for (int i = 0; i < keys.Length; i++)
        {
            var a = keys[i](x);
            var b = keys[i](y);
            int c = a is null ? (b is null ? 0 : -1) : b is null ? 1 : ((IComparable)a).CompareTo(b);
            if (c != 0)
            {
                return descending[i] ? -c : c;
            }
        }

        return 0;
    }

    public override long Entries => rows.Count;

    public override void Save(StateWriter writer)
    {
        writer.Write(current.HasValue);
        writer.Write(current ?? default);
        writer.Write(rows.Count);
        foreach (var row in rows)
        {
            writer.WriteRow(row);
        }
    }

    public override void Load(StateReader reader)
    {
        bool has = reader.ReadBool();
        var open = reader.ReadTime();
        current = has ? open : null;
        rows.Clear();
        int n = reader.ReadInt();
        for (int i = 0; i < n; i++)
        {
            rows.Add(reader.ReadRow());
        }
    }
}
