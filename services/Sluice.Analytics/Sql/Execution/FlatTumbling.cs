namespace Sluice.Analytics.Sql.Execution;

/// <summary>
/// Tumbling GROUP BY when every aggregate has a flat form: the same rows out as <see cref="TumblingAggregateOperator"/>
/// (groups in order of their first row in the window) and the same saved state, but groups live in an open-addressing
/// table over flat arrays: a row costs one probe and a few cell updates in one cache line, with no allocation.
/// </summary>
internal sealed class FlatTumblingAggregateOperator : Operator
{
    private const int EmptySlot = -1;

    private readonly Func<Row, DateTime?> windowStart;
    private readonly Func<DateTime, DateTime> windowEnd;
    private readonly int windowKeyPosition;
    private readonly Func<Row, object?>[] keys;
    private readonly FlatAggregate[] aggregates;
    private readonly object?[] scratch;

    // A group's slice of state: [window generation it last saw a row in, aggregate cells...].
    private readonly int stride;

    // Open addressing with linear probing: slotGroup -1 when empty; slotHash and slotKey (the first key) spare most key reads.
    private int[] slotGroup = [];
    private int[] slotHash = [];
    private object?[] slotKey = [];
    private int mask;

    private object?[] groupKeys = [];
    private long[] state = [];
    private int groupCount;

    private int[] active = new int[16];
    private int activeCount;
    private long generation = 1;

    private DateTime? current;
    private DateTime currentEnd = DateTime.MinValue;

    public FlatTumblingAggregateOperator(
        Func<Row, DateTime?> windowStart,
        Func<DateTime, DateTime> windowEnd,
        int windowKeyPosition,
        Func<Row, object?>[] keys,
        FlatAggregate[] aggregates)
    {
        this.windowStart = windowStart;
        this.windowEnd = windowEnd;
        this.windowKeyPosition = windowKeyPosition;
        this.keys = keys;
        this.aggregates = aggregates;
        scratch = new object?[keys.Length];
        stride = 1;
        foreach (var aggregate in aggregates)
        {
            aggregate.Offset = stride;
            stride += aggregate.Cells;
        }

        Rebuild(16);
    }

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

        var k = scratch;
        for (int i = 0; i < k.Length; i++)
        {
            k[i] = keys[i](row);
        }

        int group = FindOrAdd(k);
        var cells = state;
        int at = group * stride;
        if (cells[at] != generation)
        {
            cells[at] = generation;
            if (activeCount == active.Length)
            {
                Array.Resize(ref active, active.Length * 2);
            }

            active[activeCount++] = group;
        }

        foreach (var aggregate in aggregates)
        {
            aggregate.Add(row, cells, at);
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

    private static int HashOf(object?[] k)
    {
        uint h = 0;
        foreach (var v in k)
        {
            h = (uint)HashCode.Combine(h, v?.GetHashCode() ?? 0);
        }

        return (int)h;
    }

    private static bool Same(object? a, object? b) => ReferenceEquals(a, b) || (a is not null && a.Equals(b));

    // HashCode.Combine has already mixed every bit, so the low bits pick the slot.
    private int SlotOf(int hash) => hash & mask;

    private int FindOrAdd(object?[] k)
    {
        int hash = HashOf(k);
        object? first = k.Length > 0 ? k[0] : null;
        int slot = SlotOf(hash);
        while (true)
        {
            int group = slotGroup[slot];
            if (group == EmptySlot)
            {
                break;
            }

            if (slotHash[slot] == hash && Same(slotKey[slot], first) && RestEqual(group, k))
            {
                return group;
            }

            slot = (slot + 1) & mask;
        }

        return Add(k, hash);
    }

    private bool RestEqual(int group, object?[] k)
    {
        int at = group * k.Length;
        for (int i = 1; i < k.Length; i++)
        {
            if (!Same(groupKeys[at + i], k[i]))
            {
                return false;
            }
        }

        return true;
    }

    private int Add(object?[] k, int hash)
    {
        int group = groupCount++;
        Grow(ref state, groupCount * stride);
        Grow(ref groupKeys, groupCount * k.Length);

        Array.Copy(k, 0, groupKeys, group * k.Length, k.Length);
        Array.Clear(state, group * stride, stride);
        if (groupCount * 2 > slotGroup.Length)
        {
            Rebuild(slotGroup.Length * 2);
        }
        else
        {
            Place(group, hash, k.Length > 0 ? k[0] : null);
        }

        return group;
    }

    private static void Grow<T>(ref T[] array, int length)
    {
        if (length > array.Length)
        {
            Array.Resize(ref array, Math.Max(length, Math.Max(16, array.Length * 2)));
        }
    }

    private void Place(int group, int hash, object? first)
    {
        int slot = SlotOf(hash);
        while (slotGroup[slot] != EmptySlot)
        {
            slot = (slot + 1) & mask;
        }

        slotGroup[slot] = group;
        slotHash[slot] = hash;
        slotKey[slot] = first;
    }

    /// <summary>A table of <paramref name="capacity"/> slots (a power of two) holding the current groups.</summary>
    private void Rebuild(int capacity)
    {
        slotGroup = new int[capacity];
        Array.Fill(slotGroup, EmptySlot);
        slotHash = new int[capacity];
        slotKey = new object?[capacity];
        mask = capacity - 1;
        var k = new object?[keys.Length];
        for (int group = 0; group < groupCount; group++)
        {
            Array.Copy(groupKeys, group * k.Length, k, 0, k.Length);
            Place(group, HashOf(k), k.Length > 0 ? k[0] : null);
        }
    }

    private void Flush()
    {
        var open = current!.Value;
        var end = currentEnd;
        object boxedOpen = open;
        current = null;
        int width = keys.Length + 1 + aggregates.Length;
        var cells = state;

        // HAVING and the select list read a group's row and copy what they keep, so one row carries every group.
        var reused = Next!.KeepsRows ? null : new Row(end, new object?[width]);
        for (int n = 0; n < activeCount; n++)
        {
            int group = active[n];
            int at = group * stride;
            var values = reused?.Values ?? new object?[width];
            int k = group * keys.Length;
            for (int i = 0; i < keys.Length + 1; i++)
            {
                values[i] = i == windowKeyPosition ? boxedOpen : groupKeys[k++];
            }

            for (int i = 0; i < aggregates.Length; i++)
            {
                values[keys.Length + 1 + i] = aggregates[i].Result(cells, at);
            }

            // Back to empty cells for the group's next window; the generation cell keeps saying it was active in this one.
            Array.Clear(cells, at + 1, stride - 1);
            Next.OnRow(reused ?? new Row(end, values));
        }

        // Idle groups are forgotten once they outnumber the active ones: the table never holds more than about twice
        // the last window's groups, and compacting costs no more than the emission that preceded it.
        if (groupCount - activeCount > activeCount)
        {
            Compact();
        }

        generation++;
        activeCount = 0;
    }

    /// <summary>Keeps only the groups of the window just closed, in their activation order.</summary>
    private void Compact()
    {
        var keptKeys = new object?[Math.Max(16, activeCount * keys.Length)];
        var keptState = new long[Math.Max(16, activeCount * stride)];
        for (int n = 0; n < activeCount; n++)
        {
            Array.Copy(groupKeys, active[n] * keys.Length, keptKeys, n * keys.Length, keys.Length);
            Array.Copy(state, active[n] * stride, keptState, n * stride, stride);
            active[n] = n;
        }

        groupKeys = keptKeys;
        state = keptState;
        groupCount = activeCount;
        Rebuild(Capacity(activeCount));
    }

    private static int Capacity(int groups)
    {
        int capacity = 16;
        while (capacity < groups * 2)
        {
            capacity *= 2;
        }

        return capacity;
    }

    public override long Entries => activeCount;

    /// <summary>Writes what <see cref="TumblingAggregateOperator"/> writes for the same groups.</summary>
    public override void Save(StateWriter writer)
    {
        writer.Write(current.HasValue);
        writer.Write(current ?? default);
        writer.Write(activeCount);
        for (int n = 0; n < activeCount; n++)
        {
            int group = active[n];
            writer.Write(keys.Length);
            for (int i = 0; i < keys.Length; i++)
            {
                writer.WriteValue(groupKeys[(group * keys.Length) + i]);
            }

            foreach (var aggregate in aggregates)
            {
                aggregate.Save(writer, state, group * stride);
            }
        }
    }

    public override void Load(StateReader reader)
    {
        bool has = reader.ReadBool();
        var open = reader.ReadTime();
        current = has ? open : null;
        currentEnd = has ? windowEnd(open) : DateTime.MinValue;
        int n = reader.ReadInt();
        groupCount = 0;
        activeCount = 0;
        generation = 1;
        groupKeys = new object?[Math.Max(16, n * keys.Length)];
        state = new long[Math.Max(16, n * stride)];
        active = new int[Math.Max(16, n)];
        for (int g = 0; g < n; g++)
        {
            var keyValues = reader.ReadValues();
            if (keyValues.Length != keys.Length)
            {
                throw new InvalidDataException("Saved GROUP BY state has a different number of keys");
            }

            Array.Copy(keyValues, 0, groupKeys, g * keys.Length, keys.Length);
            int at = g * stride;
            state[at] = generation;
            foreach (var aggregate in aggregates)
            {
                aggregate.Load(reader, state, at);
            }

            active[activeCount++] = g;
            groupCount++;
        }

        Rebuild(Capacity(groupCount));
    }
}
