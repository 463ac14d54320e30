using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sluice.Streams.Shards;

/// <summary>The 128-bit hash key space: partition keys hash with MD5, read as an unsigned big-endian integer.</summary>
public static class HashKeys
{
    public static readonly UInt128 Max = UInt128.MaxValue;

    /// <summary>MD5 of the key's UTF-8 bytes as an unsigned big-endian 128-bit integer.</summary>
    public static UInt128 FromPartitionKey(string partitionKey)
    {
        Span<byte> utf8 = partitionKey.Length <= 256 ? stackalloc byte[partitionKey.Length * 3] : new byte[Encoding.UTF8.GetMaxByteCount(partitionKey.Length)];
        var count = Encoding.UTF8.GetBytes(partitionKey, utf8);
        Span<byte> digest = stackalloc byte[16];
#pragma warning disable CA5351 // Kinesis defines shard placement by MD5; this is not a security use.
        MD5.HashData(utf8[..count], digest);
#pragma warning restore CA5351
        return new UInt128(
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(digest[8..]));
    }

    /// <summary>Parses an ExplicitHashKey; false when it is not a decimal integer in [0, 2^128-1].</summary>
    public static bool TryParse(string text, out UInt128 value) =>
        UInt128.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    public static string Format(UInt128 value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Splits [start, end] into n contiguous ranges of equal size; the last absorbs the remainder.</summary>
    public static (UInt128 Start, UInt128 End)[] EvenRanges(int n, UInt128 start, UInt128 end)
    {
        var ranges = new (UInt128, UInt128)[n];
        // The full space has 2^128 keys, one more than UInt128 holds: compute the step from (end - start) + 1 carefully.
        var span = end - start;
        var step = span == UInt128.MaxValue ? (UInt128.MaxValue / (UInt128)n) + (UInt128.MaxValue % (UInt128)n + 1 == (UInt128)n ? 1u : 0u) : (span + 1) / (UInt128)n;
        for (var i = 0; i < n; i++)
        {
            var s = start + (step * (UInt128)i);
            var e = i == n - 1 ? end : start + (step * (UInt128)(i + 1)) - 1;
            ranges[i] = (s, e);
        }

        return ranges;
    }
}
