using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Sluice.AwsProtocol.EventStream;

/// <summary>
/// Encodes <c>application/vnd.amazon.eventstream</c> messages: a prelude (total length, headers length, prelude CRC),
/// the headers, the payload and a CRC of everything before it; integers big-endian, CRCs as zlib's crc32.
/// </summary>
public static class EventStreamWriter
{
    public const string ContentType = "application/vnd.amazon.eventstream";

    /// <summary>Prelude (12 bytes) plus the trailing message CRC (4 bytes).</summary>
    public const int Overhead = 16;

    public const int MaxPayloadBytes = 24 * 1024 * 1024;

    public const int MaxHeadersBytes = 128 * 1024;

    /// <summary>Writes one message to <paramref name="output"/>.</summary>
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<EventStreamHeader> headers, ReadOnlySpan<byte> payload)
    {
        var headersLength = HeadersLength(headers);
        if (headersLength > MaxHeadersBytes) throw new ArgumentException($"Event-stream headers take {headersLength} bytes; at most {MaxHeadersBytes} are allowed.", nameof(headers));
        if (payload.Length > MaxPayloadBytes) throw new ArgumentException($"Event-stream payload has {payload.Length} bytes; at most {MaxPayloadBytes} are allowed.", nameof(payload));
        var total = Overhead + headersLength + payload.Length;
        var frame = output.GetSpan(total)[..total];
        BinaryPrimitives.WriteInt32BigEndian(frame, total);
        BinaryPrimitives.WriteInt32BigEndian(frame[4..], headersLength);
        BinaryPrimitives.WriteUInt32BigEndian(frame[8..], Crc32.Compute(frame[..8]));
        var at = 12;
        foreach (var header in headers) at += WriteHeader(frame[at..], header);
        payload.CopyTo(frame[at..]);
        at += payload.Length;
        BinaryPrimitives.WriteUInt32BigEndian(frame[at..], Crc32.Compute(frame[..at]));
        output.Advance(total);
    }

    /// <summary>One message as a new array (tests, small control messages).</summary>
    public static byte[] Encode(ReadOnlySpan<EventStreamHeader> headers, ReadOnlySpan<byte> payload)
    {
        var buffer = new ArrayBufferWriter<byte>(Overhead + HeadersLength(headers) + payload.Length);
        Write(buffer, headers, payload);
        return buffer.WrittenSpan.ToArray();
    }

    public static int HeadersLength(ReadOnlySpan<EventStreamHeader> headers)
    {
        var length = 0;
        foreach (var h in headers) length += 2 + NameLength(h.Name) + ValueLength(h);
        return length;
    }

    private static int NameLength(string name)
    {
        var n = Encoding.UTF8.GetByteCount(name);
        return n is > 0 and <= byte.MaxValue ? n : throw new ArgumentException($"Event-stream header name '{name}' must take 1 to 255 bytes.", nameof(name));
    }

    private static int ValueLength(EventStreamHeader h) => h.Type switch
    {
        EventStreamHeaderType.BoolTrue or EventStreamHeaderType.BoolFalse => 0,
        EventStreamHeaderType.Byte => 1,
        EventStreamHeaderType.Short => 2,
        EventStreamHeaderType.Integer => 4,
        EventStreamHeaderType.Long or EventStreamHeaderType.Timestamp => 8,
        EventStreamHeaderType.Uuid => 16,
        EventStreamHeaderType.ByteArray => 2 + Short(((byte[])h.Value).Length, h.Name),
        EventStreamHeaderType.String => 2 + Short(Encoding.UTF8.GetByteCount((string)h.Value), h.Name),
        _ => throw new ArgumentException($"Unknown event-stream header type {h.Type}.", nameof(h)),
    };

    private static int Short(int length, string name) =>
        length <= ushort.MaxValue ? length : throw new ArgumentException($"Event-stream header '{name}' has a value of {length} bytes; at most 65535 fit.", nameof(name));

    private static int WriteHeader(Span<byte> span, EventStreamHeader h)
    {
        var nameLength = Encoding.UTF8.GetBytes(h.Name, span[1..]);
        span[0] = (byte)nameLength;
        var at = 1 + nameLength;
        span[at++] = (byte)h.Type;
        var value = span[at..];
        switch (h.Type)
        {
            case EventStreamHeaderType.BoolTrue or EventStreamHeaderType.BoolFalse:
                return at;
            case EventStreamHeaderType.Byte:
                value[0] = (byte)(sbyte)h.Value;
                return at + 1;
            case EventStreamHeaderType.Short:
                BinaryPrimitives.WriteInt16BigEndian(value, (short)h.Value);
                return at + 2;
            case EventStreamHeaderType.Integer:
                BinaryPrimitives.WriteInt32BigEndian(value, (int)h.Value);
                return at + 4;
            case EventStreamHeaderType.Long:
                BinaryPrimitives.WriteInt64BigEndian(value, (long)h.Value);
                return at + 8;
            case EventStreamHeaderType.Timestamp:
                BinaryPrimitives.WriteInt64BigEndian(value, ((DateTimeOffset)h.Value).ToUnixTimeMilliseconds());
                return at + 8;
            case EventStreamHeaderType.Uuid:
                ((Guid)h.Value).TryWriteBytes(value, bigEndian: true, out _);
                return at + 16;
            case EventStreamHeaderType.ByteArray:
                {
                    var bytes = (byte[])h.Value;
                    BinaryPrimitives.WriteUInt16BigEndian(value, (ushort)bytes.Length);
                    bytes.CopyTo(value[2..]);
                    return at + 2 + bytes.Length;
                }

            default:
                {
                    var length = Encoding.UTF8.GetBytes((string)h.Value, value[2..]);
                    BinaryPrimitives.WriteUInt16BigEndian(value, (ushort)length);
                    return at + 2 + length;
                }
        }
    }
}
