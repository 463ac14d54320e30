using System.Buffers;

namespace Sluice.LoadGen.Wire;

/// <summary>A pooled, growable buffer that holds one response body at a time; each worker reuses its own.</summary>
internal sealed class ResponseBuffer : IDisposable
{
    // Far above any Kinesis response (GetRecords caps at 10 MiB); keeps a misbehaving server from exhausting memory.
    private const int MaxBodyBytes = 64 << 20;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);

    public int Length { get; private set; }

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    public async Task FillAsync(HttpContent content, CancellationToken ct)
    {
        Length = 0;
        await using Stream stream = await content.ReadAsStreamAsync(ct);
        while (true)
        {
            if (Length == _buffer.Length)
            {
                Grow();
            }

            int read = await stream.ReadAsync(_buffer.AsMemory(Length), ct);
            if (read == 0)
            {
                return;
            }

            Length += read;
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void Grow()
    {
        if (_buffer.Length >= MaxBodyBytes)
        {
            throw new InvalidDataException($"Response body larger than {MaxBodyBytes >> 20} MiB.");
        }

        byte[] larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
        _buffer.AsSpan(0, Length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = larger;
    }
}
