using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Sluice.Streams.Shards;

/// <summary>A position in a shard, valid for five minutes from <see cref="IssuedMs"/>.</summary>
public readonly record struct ShardIteratorPosition(string StreamName, long StreamCreatedMs, int ShardIndex, long RecordIndex, long IssuedMs);

/// <summary>
/// Opaque, tamper-evident shard iterators: base64 of an 8-byte version prefix (as AWS's begin with AAAAAAAAAAE),
/// the position, and an HMAC so a forged or foreign iterator is refused.
/// </summary>
public sealed class ShardIterators(byte[] secret)
{
    public const long LifetimeMs = 300_000;
    private const int MacLength = 16;

    public string Encode(ShardIteratorPosition p)
    {
        var name = Encoding.UTF8.GetBytes(p.StreamName);
        var payload = new byte[8 + 8 + 8 + 4 + 8 + name.Length + MacLength];
        payload[7] = 1;
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(8), p.IssuedMs);
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(16), p.StreamCreatedMs);
        BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(24), p.ShardIndex);
        BinaryPrimitives.WriteInt64BigEndian(payload.AsSpan(28), p.RecordIndex);
        name.CopyTo(payload.AsSpan(36));
        var body = payload.AsSpan(0, payload.Length - MacLength);
        HMACSHA256.HashData(secret, body)[..MacLength].CopyTo(payload.AsSpan(payload.Length - MacLength));
        return Convert.ToBase64String(payload);
    }

    public bool TryDecode(string iterator, out ShardIteratorPosition position)
    {
        position = default;
        byte[] payload;
        try
        {
            payload = Convert.FromBase64String(iterator);
        }
        catch (FormatException)
        {
            return false;
        }

        if (payload.Length < 36 + MacLength || payload[7] != 1) return false;
        var body = payload.AsSpan(0, payload.Length - MacLength);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(secret, body, mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[..MacLength], payload.AsSpan(payload.Length - MacLength))) return false;
        position = new ShardIteratorPosition(
            Encoding.UTF8.GetString(payload.AsSpan(36, payload.Length - 36 - MacLength)),
            BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(16)),
            BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(24)),
            BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(28)),
            BinaryPrimitives.ReadInt64BigEndian(payload.AsSpan(8)));
        return true;
    }
}
