using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

// The KPL format and Kinesis routing are defined with MD5; none of it is a security use.
#pragma warning disable CA5351

namespace Sluice.Streams.Client.Kpl;

/// <summary>
/// One user record out of a Kinesis record: the record itself when it is not a KPL aggregate, else one entry of the
/// aggregate with its partition key, explicit hash key and position (sub-sequence number) inside the container.
/// </summary>
public readonly record struct KplUserRecord(ReadOnlyMemory<byte> Data, string PartitionKey, string? ExplicitHashKey, long SubSequenceNumber, bool IsAggregated);

/// <summary>
/// The KPL aggregation format (magic F3 89 9A C2, AggregatedRecord protobuf, MD5 of the protobuf): detection,
/// de-aggregation with the KCL's shard hash-range filter, and an encoder for producers and tests.
/// </summary>
public static class KplAggregate
{
    private const int DigestLength = 16;

    /// <summary>The four bytes every aggregate starts with.</summary>
    public static ReadOnlySpan<byte> Magic => [0xF3, 0x89, 0x9A, 0xC2];

    /// <summary>Bytes an aggregate adds around its protobuf: the magic and the MD5 digest.</summary>
    public const int Overhead = 4 + DigestLength;

    /// <summary>True when the data has the magic, a matching MD5 and a protobuf that parses: what the KCL de-aggregates.</summary>
    public static bool IsAggregated(ReadOnlyMemory<byte> data) =>
        HasValidFrame(data.Span) && AggregatedRecordProto.TryParse(data[Magic.Length..^DigestLength], [], [], []);

    /// <summary>De-aggregates one Kinesis record with no shard filter (the whole 128-bit hash key space).</summary>
    public static void Deaggregate(ReadOnlyMemory<byte> data, string partitionKey, string? explicitHashKey, List<KplUserRecord> output) =>
        Deaggregate(data, partitionKey, explicitHashKey, UInt128.Zero, UInt128.MaxValue, output);

    /// <summary>
    /// Appends the user records of one Kinesis record to <paramref name="output"/>, as the KCL does: a record that is
    /// not an aggregate (no magic, bad MD5, bad protobuf) is passed through as it is; an aggregate with any user record
    /// whose hash key lies outside [<paramref name="startingHashKey"/>, <paramref name="endingHashKey"/>] is dropped
    /// whole; a table index out of range (or an unreadable hash key) keeps the user records before it.
    /// </summary>
    public static void Deaggregate(
        ReadOnlyMemory<byte> data,
        string partitionKey,
        string? explicitHashKey,
        UInt128 startingHashKey,
        UInt128 endingHashKey,
        List<KplUserRecord> output)
    {
        // Most records are not aggregates: they pass through without allocating the tables.
        if (!HasValidFrame(data.Span))
        {
            output.Add(new KplUserRecord(data, partitionKey, explicitHashKey, 0, false));
            return;
        }

        var partitionKeys = new List<string>();
        var explicitHashKeys = new List<string>();
        var records = new List<AggregatedEntry>();
        if (!AggregatedRecordProto.TryParse(data[Magic.Length..^DigestLength], partitionKeys, explicitHashKeys, records))
        {
            output.Add(new KplUserRecord(data, partitionKey, explicitHashKey, 0, false));
            return;
        }

        var first = output.Count;
        for (var i = 0; i < records.Count; i++)
        {
            var entry = records[i];
            if (entry.PartitionKeyIndex >= (ulong)partitionKeys.Count) return;
            var key = partitionKeys[(int)entry.PartitionKeyIndex];
            string? hashKey = null;
            if (entry.ExplicitHashKeyIndex is { } index)
            {
                if (index >= (ulong)explicitHashKeys.Count) return;
                hashKey = explicitHashKeys[(int)index];
            }

            if (!TryEffectiveHashKey(key, hashKey, out var effective)) return;
            if (effective < startingHashKey || effective > endingHashKey)
            {
                // A producer with a stale shard map put this aggregate on the wrong shard: the KCL drops all of it.
                output.RemoveRange(first, output.Count - first);
                return;
            }

            output.Add(new KplUserRecord(entry.Data, key, hashKey, i, true));
        }
    }

    /// <summary>The 128-bit hash key Kinesis routes by: the explicit hash key when given, else MD5 of the UTF-8 partition key.</summary>
    public static UInt128 EffectiveHashKey(string partitionKey, string? explicitHashKey) =>
        TryEffectiveHashKey(partitionKey, explicitHashKey, out var key)
            ? key
            : throw new FormatException($"Explicit hash key '{explicitHashKey}' is not a decimal 128-bit number.");

    /// <summary>
    /// Encodes user records as one aggregate (magic + protobuf + MD5), with de-duplicated key tables as the KPL writes
    /// them. The caller decides the outer partition key (the KPL uses "a" and the first record's hash key as EHK).
    /// </summary>
    public static byte[] Encode(IReadOnlyList<KplUserRecord> records)
    {
        var partitionKeys = new List<string>();
        var partitionIndex = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var explicitHashKeys = new List<string>();
        var explicitIndex = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var entries = new List<AggregatedEntry>(records.Count);
        foreach (var record in records)
        {
            if (!partitionIndex.TryGetValue(record.PartitionKey, out var pk))
            {
                pk = (ulong)partitionKeys.Count;
                partitionIndex.Add(record.PartitionKey, pk);
                partitionKeys.Add(record.PartitionKey);
            }

            ulong? ehk = null;
            if (record.ExplicitHashKey is { } hashKey)
            {
                if (!explicitIndex.TryGetValue(hashKey, out var index))
                {
                    index = (ulong)explicitHashKeys.Count;
                    explicitIndex.Add(hashKey, index);
                    explicitHashKeys.Add(hashKey);
                }

                ehk = index;
            }

            entries.Add(new AggregatedEntry(pk, ehk, record.Data));
        }

        var output = new ArrayBufferWriter<byte>(256);
        output.Write(Magic);
        AggregatedRecordProto.Write(output, partitionKeys, explicitHashKeys, entries);
        var digest = MD5.HashData(output.WrittenSpan[Magic.Length..]);
        output.Write(digest);
        return output.WrittenSpan.ToArray();
    }

    private static bool HasValidFrame(ReadOnlySpan<byte> data)
    {
        if (data.Length <= Overhead || !data.StartsWith(Magic)) return false;
        Span<byte> digest = stackalloc byte[DigestLength];
        MD5.HashData(data[Magic.Length..^DigestLength], digest);
        return digest.SequenceEqual(data[^DigestLength..]);
    }

    private static bool TryEffectiveHashKey(string partitionKey, string? explicitHashKey, out UInt128 key)
    {
        if (explicitHashKey is not null)
        {
            return UInt128.TryParse(explicitHashKey, NumberStyles.None, CultureInfo.InvariantCulture, out key);
        }

        Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(partitionKey.Length, 256))];
        byte[]? rented = null;
        if (Encoding.UTF8.GetMaxByteCount(partitionKey.Length) > utf8.Length)
        {
            rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(partitionKey.Length));
            utf8 = rented;
        }

        try
        {
            var length = Encoding.UTF8.GetBytes(partitionKey, utf8);
            Span<byte> digest = stackalloc byte[DigestLength];
            MD5.HashData(utf8[..length], digest);
            key = BinaryPrimitives.ReadUInt128BigEndian(digest);
            return true;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
