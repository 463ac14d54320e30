using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text.Json;

namespace Sluice.LoadGen.Load;

/// <summary>Deterministic record contents: the data and partition key of record i follow from i and the run id.</summary>
/// <remarks>
/// Data = 12-byte header (run id, record index) + one of a pool of random tails. 12 is a multiple of 3, so
/// base64(header) + base64(tail) is base64(data): tails are encoded once and only 16 characters are encoded per record.
/// </remarks>
internal sealed class RecordPayloads
{
    public const int HeaderSize = 12;
    private const int HeaderBase64Size = 16;
    private const int MaxTails = 1024;
    private const long TailPoolBytes = 64L << 20;
    private const int PartitionKeyCount = 4096;

    private readonly byte[][] _tails;
    private readonly byte[][] _tailsBase64;
    private readonly string[] _partitionKeys;
    private readonly JsonEncodedText[] _encodedPartitionKeys;

    public RecordPayloads(uint runId, int recordSize)
    {
        RunId = runId;
        RecordSize = recordSize;
        var random = new Random(unchecked((int)runId));

        int tailSize = recordSize - HeaderSize;
        int tailCount = (int)Math.Clamp(TailPoolBytes / Math.Max(1, tailSize), 1, MaxTails);
        _tails = new byte[tailCount][];
        _tailsBase64 = new byte[tailCount][];
        for (int i = 0; i < tailCount; i++)
        {
            _tails[i] = new byte[tailSize];
            random.NextBytes(_tails[i]);
            _tailsBase64[i] = new byte[Base64.GetMaxEncodedToUtf8Length(tailSize)];
            Base64.EncodeToUtf8(_tails[i], _tailsBase64[i], out _, out _);
        }

        // Random keys hash (MD5) evenly over the key space, so records spread over every shard.
        _partitionKeys = new string[PartitionKeyCount];
        _encodedPartitionKeys = new JsonEncodedText[PartitionKeyCount];
        Span<byte> keyBytes = stackalloc byte[8];
        for (int i = 0; i < PartitionKeyCount; i++)
        {
            random.NextBytes(keyBytes);
            _partitionKeys[i] = "pk-" + Convert.ToHexStringLower(keyBytes);
            _encodedPartitionKeys[i] = JsonEncodedText.Encode(_partitionKeys[i]);
        }
    }

    public uint RunId { get; }

    public int RecordSize { get; }

    public int Base64Size => (RecordSize + 2) / 3 * 4;

    public string PartitionKey(int index) => _partitionKeys[KeySlot(index)];

    public JsonEncodedText EncodedPartitionKey(int index) => _encodedPartitionKeys[KeySlot(index)];

    /// <summary>Writes base64 of record <paramref name="index"/>'s data; <paramref name="destination"/> holds exactly <see cref="Base64Size"/> bytes.</summary>
    public void WriteBase64(int index, Span<byte> destination)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        WriteHeader(index, header);
        Base64.EncodeToUtf8(header, destination, out _, out _);
        _tailsBase64[TailSlot(index)].CopyTo(destination[HeaderBase64Size..]);
    }

    /// <summary>Finds the record index in data this run wrote; false for data from another run or writer.</summary>
    public bool TryReadIndex(ReadOnlySpan<byte> data, out int index)
    {
        index = -1;
        if (data.Length < HeaderSize || BinaryPrimitives.ReadUInt32BigEndian(data) != RunId)
        {
            return false;
        }

        long value = BinaryPrimitives.ReadInt64BigEndian(data[4..]);
        if (value is < 0 or > int.MaxValue)
        {
            return false;
        }

        index = (int)value;
        return true;
    }

    public bool Matches(int index, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        WriteHeader(index, header);
        return data.Length == RecordSize && data[..HeaderSize].SequenceEqual(header) && data[HeaderSize..].SequenceEqual(_tails[TailSlot(index)]);
    }

    private void WriteHeader(int index, Span<byte> header)
    {
        BinaryPrimitives.WriteUInt32BigEndian(header, RunId);
        BinaryPrimitives.WriteInt64BigEndian(header[4..], index);
    }

    private int TailSlot(int index) => (int)(Mix(index) % (ulong)_tails.Length);

    private static int KeySlot(int index) => (int)((Mix(index) >> 32) % PartitionKeyCount);

    // splitmix64 finaliser: neighbouring indexes get unrelated tails and keys.
    private static ulong Mix(int index)
    {
        ulong z = (ulong)index * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
