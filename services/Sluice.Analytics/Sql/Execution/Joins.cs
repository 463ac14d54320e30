namespace Sluice.Analytics.Sql.Execution;

/// <summary>A reference table's rows, replaced by LoadReferenceTable.</summary>
internal sealed class ReferenceTable(string name, int width)
{
    public string Name { get; } = name;

    public int Width { get; } = width;

    public List<object?[]> Rows { get; set; } = [];
}

/// <summary>Stream-to-table join: each stream row is matched against the table's rows; LEFT OUTER keeps unmatched stream rows with NULLs.</summary>
internal sealed class TableJoinOperator(ReferenceTable table, int streamWidth, bool streamFirst, bool outer, Func<Row, bool>? on) : Operator
{
    public override void OnRow(Row row)
    {
        int width = streamWidth + table.Width;
        int streamOffset = streamFirst ? 0 : table.Width, tableOffset = streamFirst ? streamWidth : 0;
        bool matched = false;
        object?[]? values = null;
        foreach (var tableRow in table.Rows)
        {
            values ??= new object?[width];
            Array.Copy(row.Values, 0, values, streamOffset, streamWidth);
            Array.Copy(tableRow, 0, values, tableOffset, table.Width);
            var candidate = row.With(values);
            if (on is null || on(candidate))
            {
                matched = true;
                values = null;
                Next!.OnRow(candidate);
            }
        }

        if (!matched && outer)
        {
            var padded = new object?[width];
            Array.Copy(row.Values, 0, padded, streamOffset, streamWidth);
            Next!.OnRow(row.With(padded));
        }
    }
}

/// <summary>
/// Windowed stream-to-stream join: a windowed side keeps its rows within its frame; a row from either side joins with
/// the other side's buffered rows (an unwindowed side contributes only its current row). Output ROWTIME is the arriving row's.
/// </summary>
internal sealed class StreamJoin(int leftWidth, int rightWidth, TimeSpan? leftRange, long? leftRows, TimeSpan? rightRange, long? rightRows, bool leftOuter, bool rightOuter, Func<Row, bool>? on)
{
    private readonly RowBuffer left = new(), right = new();

    public Operator? Next { get; set; }

    public bool LeftWindowed => leftRange is not null || leftRows is not null;

    public bool RightWindowed => rightRange is not null || rightRows is not null;

    public void OnLeft(Row row)
    {
        Evict(right, rightRange, rightRows, row.Time);
        bool matched = false;
        for (int i = 0; i < right.Count; i++)
        {
            matched |= Emit(row, right[i], row);
        }

        if (!matched && leftOuter)
        {
            var values = new object?[leftWidth + rightWidth];
            Array.Copy(row.Values, values, leftWidth);
            Next!.OnRow(row.With(values));
        }

        if (LeftWindowed)
        {
            left.Add(row);
            Evict(left, leftRange, leftRows, row.Time);
        }
    }

    public void OnRight(Row row)
    {
        Evict(left, leftRange, leftRows, row.Time);
        bool matched = false;
        for (int i = 0; i < left.Count; i++)
        {
            matched |= Emit(left[i], row, row);
        }

        if (!matched && rightOuter)
        {
            var values = new object?[leftWidth + rightWidth];
            Array.Copy(row.Values, 0, values, leftWidth, rightWidth);
            Next!.OnRow(row.With(values));
        }

        if (RightWindowed)
        {
            right.Add(row);
            Evict(right, rightRange, rightRows, row.Time);
        }
    }

    private bool Emit(Row l, Row r, Row current)
    {
        var values = new object?[leftWidth + rightWidth];
        Array.Copy(l.Values, values, leftWidth);
        Array.Copy(r.Values, 0, values, leftWidth, rightWidth);
        var candidate = current.With(values);
        if (on is null || on(candidate))
        {
            Next!.OnRow(candidate);
            return true;
        }

        return false;
    }

    private static void Evict(RowBuffer buffer, TimeSpan? range, long? rows, DateTime now)
    {
        while (buffer.Count > 0 && ((range is { } r && buffer[0].Time < now - r) || (rows is { } n && buffer.Count > n + 1)))
        {
            buffer.RemoveFirst();
        }
    }

    public long Entries => left.Count + right.Count;

    public void Save(StateWriter writer)
    {
        foreach (var buffer in new[] { left, right })
        {
            writer.Write(buffer.Count);
            for (int i = 0; i < buffer.Count; i++)
            {
                writer.WriteRow(buffer[i]);
            }
        }
    }

    public void Load(StateReader reader)
    {
        foreach (var buffer in new[] { left, right })
        {
            while (buffer.Count > 0)
            {
                buffer.RemoveFirst();
            }

            int n = reader.ReadInt();
            for (int i = 0; i < n; i++)
            {
                buffer.Add(reader.ReadRow());
            }
        }
    }
}

/// <summary>One side of a <see cref="StreamJoin"/> as an operator (the left side also carries its state and time).</summary>
internal sealed class StreamJoinSide(StreamJoin join, bool isLeft) : Operator
{
    public override void OnRow(Row row)
    {
        if (isLeft)
        {
            join.OnLeft(row);
        }
        else
        {
            join.OnRight(row);
        }
    }

    public override void OnTime(DateTime time) => join.Next?.OnTime(time);

    public override long Entries => isLeft ? join.Entries : 0;

    public override void Save(StateWriter writer)
    {
        if (isLeft)
        {
            join.Save(writer);
        }
    }

    public override void Load(StateReader reader)
    {
        if (isLeft)
        {
            join.Load(reader);
        }
    }
}
