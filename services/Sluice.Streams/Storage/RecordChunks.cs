using System.Buffers.Binary;
using System.Text;

namespace Sluice.Streams.Storage;

/// <summary>
/// A shard's slice of one group commit, stored as one row: the records packed back to back as
/// [key length][key UTF-8][data length][data], lengths 4-byte big-endian (what PostgreSQL's int4send writes).
/// One row per chunk instead of one per record is what makes the append cheap.
/// </summary>
public static class RecordChunks
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Bytes the packed records take.</summary>
    public static int PackedLength(List<(string PartitionKey, byte[] Data)> records)
    {
        long length = 0;
        foreach (var (key, data) in records) length += 8 + Utf8.GetByteCount(key) + data.Length;
        return length <= Array.MaxLength ? (int)length : throw new InvalidOperationException("A chunk exceeds the largest array.");
    }

    /// <summary>Packs the records into a new array of exactly <see cref="PackedLength"/> bytes.</summary>
    public static byte[] Pack(List<(string PartitionKey, byte[] Data)> records)
    {
        var payload = new byte[PackedLength(records)];
        var span = payload.AsSpan();
        var at = 0;
        foreach (var (key, data) in records)
        {
            var keyLength = Utf8.GetBytes(key, span[(at + 4)..]);
            BinaryPrimitives.WriteInt32BigEndian(span[at..], keyLength);
            at += 4 + keyLength;
            BinaryPrimitives.WriteInt32BigEndian(span[at..], data.Length);
            data.CopyTo(span[(at + 4)..]);
            at += 4 + data.Length;
        }

        return payload;
    }

    /// <summary>
    /// Adds the chunk's records from <paramref name="fromIndex"/> on to <paramref name="into"/> until it holds
    /// <paramref name="limit"/> records or the next one would pass <paramref name="maxBytes"/> (data plus key characters,
    /// counted in <paramref name="bytes"/>; the first record is always taken). Returns false once a limit is reached.
    /// </summary>
    public static bool Unpack(
        ReadOnlySpan<byte> payload, long firstIndex, long arrivalMs, long fromIndex, int limit, int maxBytes, ref int bytes, List<StoredRecord> into)
    {
        var at = 0;
        var index = firstIndex;
        while (at < payload.Length)
        {
            if (into.Count >= limit) return false;
            var keyLength = BinaryPrimitives.ReadInt32BigEndian(payload[at..]);
            var keyAt = at + 4;
            var dataLength = BinaryPrimitives.ReadInt32BigEndian(payload[(keyAt + keyLength)..]);
            var dataAt = keyAt + keyLength + 4;
            at = dataAt + dataLength;
            if (index++ < fromIndex) continue;
            var key = Utf8.GetString(payload.Slice(keyAt, keyLength));
            bytes += dataLength + key.Length;
            if (into.Count > 0 && bytes > maxBytes) return false;
            into.Add(new StoredRecord(index - 1, arrivalMs, key, payload.Slice(dataAt, dataLength).ToArray()));
        }

        return into.Count < limit;
    }
}
