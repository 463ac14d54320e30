using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Sluice.AwsProtocol.Cbor;

/// <summary>
/// Writes CBOR items (RFC 8949) into a buffer writer, in preferred serialization: the shortest head for every
/// argument and the shortest float width that keeps a value exact. Arrays and maps may be definite or indefinite.
/// </summary>
public readonly struct CborWriter(IBufferWriter<byte> output)
{
    /// <summary>Writes a non-negative integer (major type 0).</summary>
    public void WriteUInt64(ulong value) => WriteHead(CborMajorType.UnsignedInteger, value);

    /// <summary>Writes an integer as major type 0 or 1.</summary>
    public void WriteInt64(long value)
    {
        if (value >= 0) WriteHead(CborMajorType.UnsignedInteger, (ulong)value);
        else WriteHead(CborMajorType.NegativeInteger, (ulong)(-1 - value));
    }

    /// <summary>Writes a negative integer given as its CBOR argument (the value is -1 - <paramref name="argument"/>).</summary>
    public void WriteNegative(ulong argument) => WriteHead(CborMajorType.NegativeInteger, argument);

    public void WriteByteString(ReadOnlySpan<byte> bytes)
    {
        WriteHead(CborMajorType.ByteString, (ulong)bytes.Length);
        output.Write(bytes);
    }

    /// <summary>Writes a text string from UTF-8 bytes (not validated).</summary>
    public void WriteTextString(ReadOnlySpan<byte> utf8)
    {
        WriteHead(CborMajorType.TextString, (ulong)utf8.Length);
        output.Write(utf8);
    }

    public void WriteTextString(string text)
    {
        var length = Encoding.UTF8.GetByteCount(text);
        WriteHead(CborMajorType.TextString, (ulong)length);
        var span = output.GetSpan(length);
        Encoding.UTF8.GetBytes(text, span);
        output.Advance(length);
    }

    /// <summary>Starts a byte string of <paramref name="length"/> bytes and returns the span to fill (call <see cref="Advance"/>).</summary>
    public Span<byte> StartByteString(int length)
    {
        WriteHead(CborMajorType.ByteString, (ulong)length);
        return output.GetSpan(length);
    }

    /// <summary>Commits bytes written into a span from <see cref="StartByteString"/>.</summary>
    public void Advance(int count) => output.Advance(count);

    /// <summary>Starts an array; null count means indefinite length (end it with <see cref="WriteBreak"/>).</summary>
    public void StartArray(int? count = null) => StartContainer(CborMajorType.Array, count);

    /// <summary>Starts a map of <paramref name="count"/> pairs; null means indefinite length (end it with <see cref="WriteBreak"/>).</summary>
    public void StartMap(int? count = null) => StartContainer(CborMajorType.Map, count);

    /// <summary>Starts an indefinite-length byte or text string; write definite chunks of the same type, then a break.</summary>
    public void StartIndefiniteString(CborMajorType type) => WriteByte((byte)(((int)type << 5) | 31));

    public void WriteBreak() => WriteByte(0xff);

    public void WriteTag(ulong tag) => WriteHead(CborMajorType.Tag, tag);

    public void WriteBoolean(bool value) => WriteByte(value ? (byte)0xf5 : (byte)0xf4);

    public void WriteNull() => WriteByte(0xf6);

    public void WriteUndefined() => WriteByte(0xf7);

    /// <summary>Writes a simple value other than false/true/null/undefined (0–19 or 32–255).</summary>
    public void WriteSimple(byte value)
    {
        if (value is >= 20 and < 32) throw new ArgumentOutOfRangeException(nameof(value), "Simple values 20–31 have their own writers or are reserved.");
        if (value < 24)
        {
            WriteByte((byte)(0xe0 | value));
            return;
        }

        var span = output.GetSpan(2);
        span[0] = 0xf8;
        span[1] = value;
        output.Advance(2);
    }

    /// <summary>Writes a float in the shortest of half, single and double precision that represents it exactly.</summary>
    public void WriteDouble(double value)
    {
        if (double.IsNaN(value))
        {
            // The canonical quiet NaN (RFC 8949 §4.2.2); .NET's Half.NaN has the sign bit set.
            var nan = output.GetSpan(3);
            nan[0] = 0xf9;
            nan[1] = 0x7e;
            nan[2] = 0x00;
            output.Advance(3);
            return;
        }

        var half = (Half)value;
        if ((double)half == value)
        {
            WriteHalf(half);
            return;
        }

        var single = (float)value;
        if ((double)single == value)
        {
            WriteSingle(single);
            return;
        }

        var span = output.GetSpan(9);
        span[0] = 0xfb;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        output.Advance(9);
    }

    /// <summary>Writes a half-precision float (0xf9).</summary>
    public void WriteHalf(Half value)
    {
        var span = output.GetSpan(3);
        span[0] = 0xf9;
        BinaryPrimitives.WriteHalfBigEndian(span[1..], value);
        output.Advance(3);
    }

    /// <summary>Writes a single-precision float (0xfa).</summary>
    public void WriteSingle(float value)
    {
        var span = output.GetSpan(5);
        span[0] = 0xfa;
        BinaryPrimitives.WriteSingleBigEndian(span[1..], value);
        output.Advance(5);
    }

    /// <summary>Writes already-encoded CBOR bytes as they are.</summary>
    public void WriteEncoded(ReadOnlySpan<byte> cbor) => output.Write(cbor);

    private void StartContainer(CborMajorType type, int? count)
    {
        if (count is { } n) WriteHead(type, (ulong)n);
        else WriteByte((byte)(((int)type << 5) | 31));
    }

    private void WriteByte(byte value)
    {
        output.GetSpan(1)[0] = value;
        output.Advance(1);
    }

    private void WriteHead(CborMajorType type, ulong argument)
    {
        var major = (byte)((int)type << 5);
        var span = output.GetSpan(9);
        int length;
        if (argument < 24)
        {
            span[0] = (byte)(major | (byte)argument);
            length = 1;
        }
        else if (argument <= byte.MaxValue)
        {
            span[0] = (byte)(major | 24);
            span[1] = (byte)argument;
            length = 2;
        }
        else if (argument <= ushort.MaxValue)
        {
            span[0] = (byte)(major | 25);
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)argument);
            length = 3;
        }
        else if (argument <= uint.MaxValue)
        {
            span[0] = (byte)(major | 26);
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)argument);
            length = 5;
        }
        else
        {
            span[0] = (byte)(major | 27);
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], argument);
            length = 9;
        }

        output.Advance(length);
    }
}
