using System.Text;

namespace Sluice.Analytics.Sql.Execution;

/// <summary>Writes operator state for a checkpoint; values carry a type tag so they round-trip to the same CLR types.</summary>
internal sealed class StateWriter(BinaryWriter writer)
{
    public BinaryWriter Raw { get; } = writer;

    public void Write(long value) => Raw.Write(value);

    public void Write(int value) => Raw.Write(value);

    public void Write(double value) => Raw.Write(value);

    public void Write(bool value) => Raw.Write(value);

    public void Write(decimal value) => Raw.Write(value);

    public void Write(DateTime value) => Raw.Write(value.Ticks);

    public void WriteValue(object? value)
    {
        switch (value)
        {
            case null: Raw.Write((byte)0); break;
            case long l: Raw.Write((byte)1); Raw.Write(l); break;
            case double d: Raw.Write((byte)2); Raw.Write(d); break;
            case decimal m: Raw.Write((byte)3); Raw.Write(m); break;
            case string s: Raw.Write((byte)4); Raw.Write(s); break;
            case bool b: Raw.Write((byte)5); Raw.Write(b); break;
            case DateTime t: Raw.Write((byte)6); Raw.Write(t.Ticks); break;
            case TimeSpan span: Raw.Write((byte)7); Raw.Write(span.Ticks); break;
            case int i: Raw.Write((byte)8); Raw.Write(i); break;
            case byte[] bytes: Raw.Write((byte)9); Raw.Write(bytes.Length); Raw.Write(bytes); break;
            default: throw new InvalidOperationException($"Cannot save a value of type {value.GetType().Name}");
        }
    }

    public void WriteValues(object?[] values)
    {
        Raw.Write(values.Length);
        foreach (var value in values)
        {
            WriteValue(value);
        }
    }

    public void WriteRow(Row row)
    {
        Write(row.Time);
        WriteValues(row.Values);
        Write(row.Arrival);
        WriteValue(row.PartitionKey);
        WriteValue(row.SequenceNumber);
        WriteValue(row.ShardId);
    }
}

/// <summary>Reads what <see cref="StateWriter"/> wrote.</summary>
internal sealed class StateReader(BinaryReader reader)
{
    public BinaryReader Raw { get; } = reader;

    public long ReadLong() => Raw.ReadInt64();

    public int ReadInt() => Raw.ReadInt32();

    public double ReadDouble() => Raw.ReadDouble();

    public bool ReadBool() => Raw.ReadBoolean();

    public decimal ReadDecimal() => Raw.ReadDecimal();

    public DateTime ReadTime() => new(Raw.ReadInt64(), DateTimeKind.Utc);

    public object? ReadValue() => Raw.ReadByte() switch
    {
        0 => null,
        1 => Raw.ReadInt64(),
        2 => Raw.ReadDouble(),
        3 => Raw.ReadDecimal(),
        4 => Raw.ReadString(),
        5 => Raw.ReadBoolean(),
        6 => new DateTime(Raw.ReadInt64(), DateTimeKind.Utc),
        7 => new TimeSpan(Raw.ReadInt64()),
        8 => Raw.ReadInt32(),
        9 => Raw.ReadBytes(Raw.ReadInt32()),
        var tag => throw new InvalidDataException($"Unknown value tag {tag} in saved state"),
    };

    public object?[] ReadValues()
    {
        var values = new object?[Raw.ReadInt32()];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ReadValue();
        }

        return values;
    }

    public Row ReadRow()
    {
        var time = ReadTime();
        var values = ReadValues();
        return new Row(time, values) { Arrival = ReadTime(), PartitionKey = (string?)ReadValue(), SequenceNumber = (string?)ReadValue(), ShardId = (string?)ReadValue() };
    }
}

/// <summary>Hex text of a row for error_stream's DATA_ROW.</summary>
internal static class RowHex
{
    public static string Of(object?[] values)
    {
        var text = new StringBuilder();
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(values[i] switch
            {
                null => "",
                DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture),
                IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
                var v => v.ToString(),
            });
        }

        return Convert.ToHexString(Encoding.UTF8.GetBytes(text.ToString()));
    }
}
