using System.Buffers.Binary;
using System.Text;

namespace Sluice.AwsProtocol.EventStream;

/// <summary>One decoded event-stream message.</summary>
public sealed record EventStreamMessage(IReadOnlyList<EventStreamHeader> Headers, byte[] Payload)
{
    /// <summary>The value of the first header named <paramref name="name"/> as text, or null.</summary>
    public string? Header(string name)
    {
        foreach (var h in Headers)
        {
            if (h.Name == name) return h.AsString();
        }

        return null;
    }

    /// <summary>Decodes one whole frame; <see cref="InvalidDataException"/> when a length or CRC is wrong.</summary>
    public static EventStreamMessage Decode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EventStreamWriter.Overhead) throw new InvalidDataException($"An event-stream frame needs at least 16 bytes, got {frame.Length}.");
        var total = BinaryPrimitives.ReadInt32BigEndian(frame);
        var headersLength = BinaryPrimitives.ReadInt32BigEndian(frame[4..]);
        if (total != frame.Length) throw new InvalidDataException($"The prelude says {total} bytes but the frame has {frame.Length}.");
        if (headersLength < 0 || headersLength > total - EventStreamWriter.Overhead) throw new InvalidDataException($"Headers length {headersLength} does not fit a frame of {total} bytes.");
        var preludeCrc = BinaryPrimitives.ReadUInt32BigEndian(frame[8..]);
        if (Crc32.Compute(frame[..8]) != preludeCrc) throw new InvalidDataException("Prelude CRC mismatch.");
        var messageCrc = BinaryPrimitives.ReadUInt32BigEndian(frame[(total - 4)..]);
        if (Crc32.Compute(frame[..(total - 4)]) != messageCrc) throw new InvalidDataException("Message CRC mismatch.");

        var headers = new List<EventStreamHeader>();
        var span = frame.Slice(12, headersLength);
        while (span.Length > 0)
        {
            int nameLength = span[0];
            var name = Encoding.UTF8.GetString(span.Slice(1, nameLength));
            var type = (EventStreamHeaderType)span[1 + nameLength];
            span = span[(2 + nameLength)..];
            object value;
            int used;
            switch (type)
            {
                case EventStreamHeaderType.BoolTrue:
                    (value, used) = (true, 0);
                    break;
                case EventStreamHeaderType.BoolFalse:
                    (value, used) = (false, 0);
                    break;
                case EventStreamHeaderType.Byte:
                    (value, used) = ((sbyte)span[0], 1);
                    break;
                case EventStreamHeaderType.Short:
                    (value, used) = (BinaryPrimitives.ReadInt16BigEndian(span), 2);
                    break;
                case EventStreamHeaderType.Integer:
                    (value, used) = (BinaryPrimitives.ReadInt32BigEndian(span), 4);
                    break;
                case EventStreamHeaderType.Long:
                    (value, used) = (BinaryPrimitives.ReadInt64BigEndian(span), 8);
                    break;
                case EventStreamHeaderType.Timestamp:
                    (value, used) = (DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(span)), 8);
                    break;
                case EventStreamHeaderType.Uuid:
                    (value, used) = (new Guid(span[..16], bigEndian: true), 16);
                    break;
                case EventStreamHeaderType.ByteArray:
                    {
                        int length = BinaryPrimitives.ReadUInt16BigEndian(span);
                        (value, used) = (span.Slice(2, length).ToArray(), 2 + length);
                        break;
                    }

                case EventStreamHeaderType.String:
                    {
                        int length = BinaryPrimitives.ReadUInt16BigEndian(span);
                        (value, used) = (Encoding.UTF8.GetString(span.Slice(2, length)), 2 + length);
                        break;
                    }

                default:
                    throw new InvalidDataException($"Header '{name}' has unknown type {(byte)type}.");
            }

            headers.Add(new EventStreamHeader(name, type, value));
            span = span[used..];
        }

        var payload = frame[(12 + headersLength)..(total - 4)].ToArray();
        return new EventStreamMessage(headers, payload);
    }
}

/// <summary>Reads event-stream messages one by one from a response body.</summary>
public sealed class EventStreamReader(Stream stream)
{
    /// <summary>The next message, or null when the stream ended cleanly between messages.</summary>
    public async Task<EventStreamMessage?> ReadAsync(CancellationToken ct)
    {
        var prelude = new byte[12];
        if (!await FillAsync(prelude, allowEmpty: true, ct)) return null;
        var total = BinaryPrimitives.ReadInt32BigEndian(prelude);
        if (total < EventStreamWriter.Overhead || total > EventStreamWriter.Overhead + EventStreamWriter.MaxHeadersBytes + EventStreamWriter.MaxPayloadBytes)
        {
            throw new InvalidDataException($"Event-stream frame length {total} is out of range.");
        }

        var frame = new byte[total];
        prelude.CopyTo(frame, 0);
        await FillAsync(frame.AsMemory(12), allowEmpty: false, ct);
        return EventStreamMessage.Decode(frame);
    }

    private async Task<bool> FillAsync(Memory<byte> buffer, bool allowEmpty, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..], ct);
            if (n == 0)
            {
                if (read == 0 && allowEmpty) return false;
                throw new EndOfStreamException($"The event stream ended inside a frame ({read} of {buffer.Length} bytes).");
            }

            read += n;
        }

        return true;
    }
}
