using System.Buffers;
using System.Text;

namespace Sluice.Streams.Client.Kpl;

/// <summary>One entry of an AggregatedRecord as its protobuf says: table indexes and the payload, not yet resolved.</summary>
internal readonly record struct AggregatedEntry(ulong PartitionKeyIndex, ulong? ExplicitHashKeyIndex, ReadOnlyMemory<byte> Data);

/// <summary>
/// The KPL's AggregatedRecord protobuf message (proto2), read and written by hand so the library needs no
/// dependency: fields in any order, unknown fields skipped, required fields enforced as protobuf-java does.
/// </summary>
internal static class AggregatedRecordProto
{
    private const int Varint = 0;
    private const int Fixed64 = 1;
    private const int LengthDelimited = 2;
    private const int Fixed32 = 5;

    /// <summary>Parses the message; false when it is not valid protobuf or a record misses a required field.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> message, List<string> partitionKeys, List<string> explicitHashKeys, List<AggregatedEntry> records)
    {
        var span = message.Span;
        var position = 0;
        while (position < span.Length)
        {
            if (!TryReadVarint(span, ref position, out var key)) return false;
            var field = key >> 3;
            var wireType = (int)(key & 7);
            if (field is >= 1 and <= 3 && wireType == LengthDelimited)
            {
                if (!TryReadLength(span, ref position, out var length)) return false;
                var payload = message.Slice(position, length);
                position += length;
                switch (field)
                {
                    case 1:
                        partitionKeys.Add(Encoding.UTF8.GetString(payload.Span));
                        break;
                    case 2:
                        explicitHashKeys.Add(Encoding.UTF8.GetString(payload.Span));
                        break;
                    default:
                        if (!TryParseRecord(payload, out var entry)) return false;
                        records.Add(entry);
                        break;
                }
            }
            else if (!TrySkip(span, ref position, wireType))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Writes the message for the given tables and records.</summary>
    public static void Write(IBufferWriter<byte> output, IReadOnlyList<string> partitionKeys, IReadOnlyList<string> explicitHashKeys, IReadOnlyList<AggregatedEntry> records)
    {
        foreach (var key in partitionKeys) WriteString(output, 1, key);
        foreach (var key in explicitHashKeys) WriteString(output, 2, key);
        foreach (var record in records)
        {
            var size = 1 + VarintSize(record.PartitionKeyIndex) + 1 + VarintSize((ulong)record.Data.Length) + record.Data.Length;
            if (record.ExplicitHashKeyIndex is { } ehk) size += 1 + VarintSize(ehk);
            WriteVarint(output, (3 << 3) | LengthDelimited);
            WriteVarint(output, (ulong)size);
            WriteVarint(output, (1 << 3) | Varint);
            WriteVarint(output, record.PartitionKeyIndex);
            if (record.ExplicitHashKeyIndex is { } index)
            {
                WriteVarint(output, (2 << 3) | Varint);
                WriteVarint(output, index);
            }

            WriteVarint(output, (3 << 3) | LengthDelimited);
            WriteVarint(output, (ulong)record.Data.Length);
            output.Write(record.Data.Span);
        }
    }

    private static bool TryParseRecord(ReadOnlyMemory<byte> message, out AggregatedEntry entry)
    {
        entry = default;
        var span = message.Span;
        var position = 0;
        ulong? partitionKeyIndex = null;
        ulong? explicitHashKeyIndex = null;
        ReadOnlyMemory<byte>? data = null;
        while (position < span.Length)
        {
            if (!TryReadVarint(span, ref position, out var key)) return false;
            var field = key >> 3;
            var wireType = (int)(key & 7);
            if (field is 1 or 2 && wireType == Varint)
            {
                if (!TryReadVarint(span, ref position, out var value)) return false;
                if (field == 1) partitionKeyIndex = value;
                else explicitHashKeyIndex = value;
            }
            else if (field == 3 && wireType == LengthDelimited)
            {
                if (!TryReadLength(span, ref position, out var length)) return false;
                data = message.Slice(position, length);
                position += length;
            }
            else if (field == 4 && wireType == LengthDelimited)
            {
                // Tags: never used by the KPL or the KCL; a tag must still carry its required key.
                if (!TryReadLength(span, ref position, out var length)) return false;
                if (!HasTagKey(span.Slice(position, length))) return false;
                position += length;
            }
            else if (!TrySkip(span, ref position, wireType))
            {
                return false;
            }
        }

        if (partitionKeyIndex is null || data is null) return false;
        entry = new AggregatedEntry(partitionKeyIndex.Value, explicitHashKeyIndex, data.Value);
        return true;
    }

    private static bool HasTagKey(ReadOnlySpan<byte> tag)
    {
        var position = 0;
        var hasKey = false;
        while (position < tag.Length)
        {
            if (!TryReadVarint(tag, ref position, out var key)) return false;
            if (key >> 3 == 1 && (key & 7) == LengthDelimited) hasKey = true;
            if (!TrySkip(tag, ref position, (int)(key & 7))) return false;
        }

        return hasKey;
    }

    private static bool TrySkip(ReadOnlySpan<byte> span, ref int position, int wireType)
    {
        switch (wireType)
        {
            case Varint:
                return TryReadVarint(span, ref position, out _);
            case Fixed64:
                if (span.Length - position < 8) return false;
                position += 8;
                return true;
            case LengthDelimited:
                if (!TryReadLength(span, ref position, out var length)) return false;
                position += length;
                return true;
            case Fixed32:
                if (span.Length - position < 4) return false;
                position += 4;
                return true;
            default:
                // Groups (3, 4) are obsolete and 6, 7 do not exist.
                return false;
        }
    }

    private static bool TryReadLength(ReadOnlySpan<byte> span, ref int position, out int length)
    {
        length = 0;
        if (!TryReadVarint(span, ref position, out var value) || value > (ulong)(span.Length - position)) return false;
        length = (int)value;
        return true;
    }

    private static bool TryReadVarint(ReadOnlySpan<byte> span, ref int position, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (position >= span.Length) return false;
            var b = span[position++];
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80) return true;
        }

        return false;
    }

    private static void WriteString(IBufferWriter<byte> output, int field, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        WriteVarint(output, (ulong)((field << 3) | LengthDelimited));
        WriteVarint(output, (ulong)length);
        var span = output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        output.Advance(length);
    }

    private static void WriteVarint(IBufferWriter<byte> output, ulong value)
    {
        var span = output.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        output.Advance(i);
    }

    private static int VarintSize(ulong value)
    {
        var size = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            size++;
        }

        return size;
    }
}
