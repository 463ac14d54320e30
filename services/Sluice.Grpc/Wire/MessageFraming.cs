using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Pipelines;

namespace Sluice.Grpc;

/// <summary>
/// The gRPC length-prefixed message: a compressed flag byte, a big-endian uint32 length, the payload. Reads and writes
/// go straight through pipe buffers; only gzip-compressed messages are copied.
/// </summary>
internal static class MessageFraming
{
    public const int HeaderSize = 5;

    /// <summary>Reads the next message, or returns false at a clean end of stream. Throws <see cref="RpcException"/> on bad input.</summary>
    public static async ValueTask<(bool Read, T Message)> ReadMessageAsync<T>(PipeReader reader, Marshaller<T> marshaller, bool gzipAllowed, int maxSize, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryReadFrame(buffer, maxSize, out var compressed, out var payload))
            {
                T message;
                try
                {
                    message = Decode(payload, compressed, gzipAllowed, maxSize, marshaller);
                }
                finally
                {
                    reader.AdvanceTo(payload.End);
                }

                return (true, message);
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                if (buffer.Length > 0) throw new RpcException(new Status(StatusCode.Internal, "Incomplete message."));
                return (false, default!);
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Writes one framed message; the caller flushes.</summary>
    public static void WriteMessage<T>(IBufferWriter<byte> writer, T message, Marshaller<T> marshaller, bool gzip, int? maxSize)
    {
        if (!gzip && marshaller.Size is { } size && marshaller.Write is { } write)
        {
            var length = size(message);
            CheckSendSize(length, maxSize);
            var span = writer.GetSpan(HeaderSize + length);
            span[0] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
            write(message, span.Slice(HeaderSize, length));
            writer.Advance(HeaderSize + length);
            return;
        }

        var payload = marshaller.Serializer(message);
        CheckSendSize(payload.Length, maxSize);
        if (gzip) payload = Compress(payload);
        var header = writer.GetSpan(HeaderSize);
        header[0] = gzip ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)payload.Length);
        writer.Advance(HeaderSize);
        writer.Write(payload);
    }

    private static bool TryReadFrame(ReadOnlySequence<byte> buffer, int maxSize, out bool compressed, out ReadOnlySequence<byte> payload)
    {
        compressed = false;
        payload = default;
        if (buffer.Length < HeaderSize) return false;
        Span<byte> header = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(header);
        if (header[0] > 1) throw new RpcException(new Status(StatusCode.Internal, $"Unexpected compressed flag value {header[0]}."));
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxSize)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Received message larger than max ({length} vs. {maxSize})"));
        }

        if (buffer.Length < HeaderSize + length) return false;
        compressed = header[0] == 1;
        payload = buffer.Slice(HeaderSize, length);
        return true;
    }

    private static T Decode<T>(ReadOnlySequence<byte> payload, bool compressed, bool gzipAllowed, int maxSize, Marshaller<T> marshaller)
    {
        if (compressed && !gzipAllowed) throw new RpcException(new Status(StatusCode.Internal, "Compressed message received without a grpc-encoding that allows it."));
        try
        {
            return compressed ? Deserialize(new ReadOnlySequence<byte>(Decompress(payload, maxSize)), marshaller) : Deserialize(payload, marshaller);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw new RpcException(new Status(StatusCode.Internal, "Failed to deserialize the message."));
        }
    }

    private static T Deserialize<T>(ReadOnlySequence<byte> payload, Marshaller<T> marshaller) =>
        marshaller.Parse is { } parse ? parse(payload) : marshaller.Deserializer(payload.ToArray());

    private static void CheckSendSize(int length, int? maxSize)
    {
        if (maxSize is { } max && length > max)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Sending message exceeds the maximum configured message size ({length} vs. {max})."));
        }
    }

    private static byte[] Compress(byte[] payload)
    {
        using var output = new MemoryStream(payload.Length / 2 + 64);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(payload);
        }

        return output.ToArray();
    }

    private static byte[] Decompress(ReadOnlySequence<byte> payload, int maxSize)
    {
        var compressed = payload.ToArray();
        using var gzip = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var output = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while ((n = gzip.Read(chunk, 0, chunk.Length)) > 0)
            {
                // The limit applies to what the message expands to, so a small bomb cannot exhaust memory.
                if (output.Length + n > maxSize)
                {
                    throw new RpcException(new Status(StatusCode.ResourceExhausted, $"Received message larger than max after decompression (over {maxSize})."));
                }

                output.Write(chunk, 0, n);
            }
        }
        catch (InvalidDataException)
        {
            throw new RpcException(new Status(StatusCode.Internal, "The message could not be decompressed as gzip."));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return output.ToArray();
    }
}
