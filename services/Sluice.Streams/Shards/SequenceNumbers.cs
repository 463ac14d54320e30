using System.Globalization;
using System.Numerics;

namespace Sluice.Streams.Shards;

/// <summary>
/// Kinesis-style sequence numbers: 56-digit decimals whose 47 hex digits carry the version (2), the shard's creation
/// second, the per-shard record index, the record's second and the shard index. Numbers rise strictly within a shard and
/// a child shard's numbers exceed its parents' because children are created at a later second.
/// </summary>
public static class SequenceNumbers
{
    /// <summary>The record index a closed shard's EndingSequenceNumber carries.</summary>
    public const long EndIndex = long.MaxValue;

    /// <summary>Longest text <see cref="TryFormat"/> writes (2^188 has 57 digits).</summary>
    public const int MaxLength = 57;

    private const ulong TenPow9 = 1_000_000_000;

    public static string Format(long shardCreatedSeconds, int shardIndex, long recordIndex, long recordSeconds)
    {
        Span<char> text = stackalloc char[MaxLength];
        var length = TryFormat(shardCreatedSeconds, shardIndex, recordIndex, recordSeconds, text);
        return new string(text[..length]);
    }

    /// <summary>Writes the decimal sequence number into <paramref name="destination"/> (at least <see cref="MaxLength"/> chars); returns its length.</summary>
    public static int TryFormat(long shardCreatedSeconds, int shardIndex, long recordIndex, long recordSeconds, Span<char> destination)
    {
        // 48 hex digits (a leading zero nibble, then the 47 of the layout) = 192 bits: from the top, 0, 2, the creation
        // second (9 digits), the shard's low digit, the record index (16), 00, the record second (9), the shard (8), 2.
        const ulong NineDigits = 0xF_FFFF_FFFF;
        var index = (ulong)recordIndex;
        var high = (index >> 48) | ((ulong)(shardIndex & 0xF) << 16) | (((ulong)shardCreatedSeconds & NineDigits) << 20) | (2UL << 56);
        var low = (UInt128)2 | ((UInt128)(uint)shardIndex << 4) | ((UInt128)((ulong)recordSeconds & NineDigits) << 36) | ((UInt128)index << 80);
        Span<uint> limbs = [(uint)(high >> 32), (uint)high, (uint)(low >> 96), (uint)(low >> 64), (uint)(low >> 32), (uint)low];

        // Long division of the six 32-bit limbs by 10^9 yields nine decimal digits per step, lowest first.
        Span<char> digits = stackalloc char[7 * 9];
        var end = digits.Length;
        var top = 0;
        while (top < 6)
        {
            ulong remainder = 0;
            for (var w = top; w < 6; w++)
            {
                var current = (remainder << 32) | limbs[w];
                limbs[w] = (uint)(current / TenPow9);
                remainder = current % TenPow9;
            }

            for (var d = 0; d < 9; d++)
            {
                digits[--end] = (char)('0' + (int)(remainder % 10));
                remainder /= 10;
            }

            while (top < 6 && limbs[top] == 0) top++;
        }

        var start = end;
        while (start < digits.Length - 1 && digits[start] == '0') start++;
        if (start == digits.Length) digits[--start] = '0';
        var length = digits.Length - start;
        digits[start..].CopyTo(destination);
        return length;
    }

    /// <summary>The parts of a sequence number this server issued; false for anything else.</summary>
    public static bool TryParse(string text, out ParsedSequenceNumber parsed)
    {
        parsed = default;
        if (text.Length is 0 or > 129 || !BigInteger.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value.Sign < 0)
        {
            return false;
        }

        if (value.GetByteCount(isUnsigned: true) > 24) return false;
        Span<byte> bytes = stackalloc byte[24];
        var written = value.GetByteCount(isUnsigned: true);
        bytes.Clear();
        value.TryWriteBytes(bytes[(24 - written)..], out _, isUnsigned: true, isBigEndian: true);
        Span<byte> n = stackalloc byte[48];
        for (var b = 0; b < 24; b++)
        {
            n[2 * b] = (byte)(bytes[b] >> 4);
            n[(2 * b) + 1] = (byte)(bytes[b] & 0xF);
        }

        if (n[0] != 0 || n[1] != 2 || n[47] != 2 || n[28] != 0 || n[29] != 0) return false;
        var i = 2;
        var created = (long)GetHex(n, ref i, 9);
        var lowNibble = n[i++];
        var index = GetHex(n, ref i, 16);
        i += 2;
        var seconds = (long)GetHex(n, ref i, 9);
        var shard = GetHex(n, ref i, 8);
        if (index > long.MaxValue || shard > int.MaxValue || (int)(shard & 0xF) != lowNibble) return false;
        parsed = new ParsedSequenceNumber(created, (int)shard, (long)index, seconds);
        return true;
    }

    private static ulong GetHex(Span<byte> nibbles, ref int i, int digits)
    {
        ulong v = 0;
        for (var d = 0; d < digits; d++) v = (v << 4) | nibbles[i++];
        return v;
    }
}

/// <summary>What a sequence number encodes.</summary>
public readonly record struct ParsedSequenceNumber(long ShardCreatedSeconds, int ShardIndex, long RecordIndex, long RecordSeconds);
