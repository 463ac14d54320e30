using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Sluice.Streams.Shards;

/// <summary>The 128-bit hash key space: partition keys hash with MD5, read as an unsigned big-endian integer.</summary>
public static class HashKeys
{
    public static readonly UInt128 Max = UInt128.MaxValue;

    // MD5 (RFC 1321) per-step shift amounts and sine-derived constants.
    private static readonly int[] Shifts =
    [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ];

    private static readonly uint[] Sines = MakeSines();

    /// <summary>MD5 of the key's UTF-8 bytes as an unsigned big-endian 128-bit integer.</summary>
    public static UInt128 FromPartitionKey(string partitionKey)
    {
        // Computed here rather than through the platform's MD5: a call into OpenSSL per record cost more than the hash.
        var length = Encoding.UTF8.GetMaxByteCount(partitionKey.Length) + 72;
        Span<byte> message = length <= 1024 ? stackalloc byte[length] : new byte[length];
        var count = Encoding.UTF8.GetBytes(partitionKey, message);
        var padded = ((count + 8) / 64 * 64) + 64;
        message[count] = 0x80;
        message[(count + 1)..padded].Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(message[(padded - 8)..], (ulong)count * 8);
        uint a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
        Span<uint> m = stackalloc uint[16];
        for (var block = 0; block < padded; block += 64)
        {
            for (var w = 0; w < 16; w++) m[w] = BinaryPrimitives.ReadUInt32LittleEndian(message[(block + (4 * w))..]);
            uint a = a0, b = b0, c = c0, d = d0;
            for (var i = 0; i < 64; i++)
            {
                uint f;
                int g;
                if (i < 16)
                {
                    f = (b & c) | (~b & d);
                    g = i;
                }
                else if (i < 32)
                {
                    f = (d & b) | (~d & c);
                    g = ((5 * i) + 1) & 15;
                }
                else if (i < 48)
                {
                    f = b ^ c ^ d;
                    g = ((3 * i) + 5) & 15;
                }
                else
                {
                    f = c ^ (b | ~d);
                    g = (7 * i) & 15;
                }

                f += a + Sines[i] + m[g];
                a = d;
                d = c;
                c = b;
                b += BitOperations.RotateLeft(f, Shifts[i]);
            }

            a0 += a;
            b0 += b;
            c0 += c;
            d0 += d;
        }

        // The digest is the four words little-endian; Kinesis reads those 16 bytes as one big-endian number.
        var high = ((ulong)BinaryPrimitives.ReverseEndianness(a0) << 32) | BinaryPrimitives.ReverseEndianness(b0);
        var low = ((ulong)BinaryPrimitives.ReverseEndianness(c0) << 32) | BinaryPrimitives.ReverseEndianness(d0);
        return new UInt128(high, low);
    }

    /// <summary>Parses an ExplicitHashKey; false when it is not a decimal integer in [0, 2^128-1].</summary>
    public static bool TryParse(string text, out UInt128 value) =>
        UInt128.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    public static string Format(UInt128 value) => value.ToString(CultureInfo.InvariantCulture);

    private static uint[] MakeSines()
    {
        var sines = new uint[64];
        for (var i = 0; i < 64; i++) sines[i] = (uint)Math.Floor(Math.Abs(Math.Sin(i + 1)) * 4294967296.0);
        return sines;
    }

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
