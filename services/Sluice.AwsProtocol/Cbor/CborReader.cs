using System.Buffers;
using System.Buffers.Binary;

namespace Sluice.AwsProtocol.Cbor;

/// <summary>The eight CBOR major types (RFC 8949 §3.1).</summary>
public enum CborMajorType : byte
{
    UnsignedInteger = 0,
    NegativeInteger = 1,
    ByteString = 2,
    TextString = 3,
    Array = 4,
    Map = 5,
    Tag = 6,
    SimpleOrFloat = 7,
}

/// <summary>What a major-type-7 item turned out to be.</summary>
public enum CborSimpleKind : byte
{
    False,
    True,
    Null,
    Undefined,

    /// <summary>Any other simple value (0–19, 32–255); its number is in the out parameter.</summary>
    Other,
    Float,
}

/// <summary>Malformed or unsupported CBOR input.</summary>
public sealed class CborFormatException(string message) : FormatException(message);

/// <summary>
/// A forward-only reader of one CBOR buffer (RFC 8949): every major type, definite and indefinite lengths, tags,
/// half/single/double floats and simple values. Definite strings are returned as slices of the input, without copying.
/// </summary>
public ref struct CborReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>True when every byte has been read.</summary>
    public readonly bool AtEnd => _position >= _data.Length;

    /// <summary>The major type of the next item (a break byte reports <see cref="CborMajorType.SimpleOrFloat"/>).</summary>
    public readonly CborMajorType PeekMajorType()
    {
        if (AtEnd) throw new CborFormatException("Unexpected end of CBOR data.");
        return (CborMajorType)(_data[_position] >> 5);
    }

    /// <summary>Consumes the "break" byte that ends an indefinite-length item, if it is next.</summary>
    public bool TryReadBreak()
    {
        if (AtEnd) throw new CborFormatException("Unexpected end of CBOR data inside an indefinite-length item.");
        if (_data[_position] != 0xff) return false;
        _position++;
        return true;
    }

    /// <summary>
    /// Reads the head of an item of major type 0–6 and returns its argument (the value, the length, the count or the
    /// tag number). <paramref name="indefinite"/> is set for an indefinite-length string, array or map.
    /// </summary>
    public ulong ReadHead(CborMajorType expected, out bool indefinite)
    {
        if (AtEnd) throw new CborFormatException("Unexpected end of CBOR data.");
        var initial = _data[_position];
        var major = (CborMajorType)(initial >> 5);
        if (major != expected) throw new CborFormatException($"Expected CBOR major type {expected}, found {major}.");
        _position++;
        var info = initial & 0x1f;
        indefinite = false;
        if (info == 31)
        {
            if (major is < CborMajorType.ByteString or > CborMajorType.Map) throw new CborFormatException($"Indefinite length is not allowed for {major}.");
            indefinite = true;
            return 0;
        }

        return ReadArgument(info);
    }

    /// <summary>Reads a length (string, array, map) that must fit an int and the remaining input.</summary>
    public int ReadLength(CborMajorType expected, out bool indefinite)
    {
        var length = ReadHead(expected, out indefinite);
        // Each string byte, array item or map entry takes at least one byte, so a length beyond the input is malformed.
        if (length > (ulong)(_data.Length - _position)) throw new CborFormatException("CBOR length runs past the end of the data.");
        return (int)length;
    }

    /// <summary>
    /// Reads a byte or text string. A definite one is a slice of the input; an indefinite one is joined into
    /// <paramref name="scratch"/> (cleared first) and its written span is returned.
    /// </summary>
    public ReadOnlySpan<byte> ReadString(CborMajorType type, ArrayBufferWriter<byte> scratch)
    {
        var length = ReadLength(type, out var indefinite);
        if (!indefinite) return Take(length);
        scratch.ResetWrittenCount();
        while (!TryReadBreak())
        {
            var chunkLength = ReadLength(type, out var nested);
            if (nested) throw new CborFormatException("An indefinite-length string cannot hold another indefinite-length chunk.");
            scratch.Write(Take(chunkLength));
        }

        return scratch.WrittenSpan;
    }

    /// <summary>Reads a definite-length byte or text string as a slice of the input; indefinite ones are refused.</summary>
    public ReadOnlySpan<byte> ReadDefiniteString(CborMajorType type)
    {
        var length = ReadLength(type, out var indefinite);
        if (indefinite) throw new CborFormatException("Expected a definite-length string.");
        return Take(length);
    }

    /// <summary>Reads an integer of major type 0 or 1 as a signed 64-bit value; larger magnitudes are refused.</summary>
    public long ReadInt64()
    {
        var major = PeekMajorType();
        var value = ReadHead(major, out _);
        if (value > long.MaxValue) throw new CborFormatException("CBOR integer does not fit 64 bits.");
        return major switch
        {
            CborMajorType.UnsignedInteger => (long)value,
            CborMajorType.NegativeInteger => -1 - (long)value,
            _ => throw new CborFormatException($"Expected a CBOR integer, found {major}."),
        };
    }

    /// <summary>Reads a major-type-7 item: false, true, null, undefined, another simple value, or a float.</summary>
    public CborSimpleKind ReadSimpleOrFloat(out double number, out byte simple)
    {
        if (AtEnd) throw new CborFormatException("Unexpected end of CBOR data.");
        var initial = _data[_position];
        if (initial >> 5 != 7) throw new CborFormatException($"Expected a CBOR simple value or float, found {(CborMajorType)(initial >> 5)}.");
        _position++;
        number = 0;
        simple = 0;
        switch (initial & 0x1f)
        {
            case 20: return CborSimpleKind.False;
            case 21: return CborSimpleKind.True;
            case 22: return CborSimpleKind.Null;
            case 23: return CborSimpleKind.Undefined;
            case 24:
                simple = Take(1)[0];
                // Two-byte forms of values below 32 are not well-formed (RFC 8949 §3.3).
                if (simple < 32) throw new CborFormatException("Simple value below 32 in two-byte form.");
                return CborSimpleKind.Other;
            case 25:
                number = (double)BinaryPrimitives.ReadHalfBigEndian(Take(2));
                return CborSimpleKind.Float;
            case 26:
                number = BinaryPrimitives.ReadSingleBigEndian(Take(4));
                return CborSimpleKind.Float;
            case 27:
                number = BinaryPrimitives.ReadDoubleBigEndian(Take(8));
                return CborSimpleKind.Float;
            case 31:
                throw new CborFormatException("Unexpected CBOR break.");
            case var info when info < 20:
                simple = (byte)info;
                return CborSimpleKind.Other;
            default:
                throw new CborFormatException("Reserved CBOR additional information.");
        }
    }

    /// <summary>Skips one complete item, nested items included.</summary>
    public void Skip(int depth = 0)
    {
        if (depth > CborLimits.MaxDepth) throw new CborFormatException("CBOR nesting is too deep.");
        var major = PeekMajorType();
        switch (major)
        {
            case CborMajorType.UnsignedInteger or CborMajorType.NegativeInteger:
                ReadHead(major, out _);
                break;
            case CborMajorType.ByteString or CborMajorType.TextString:
                var length = ReadLength(major, out var indefinite);
                if (!indefinite)
                {
                    Take(length);
                    break;
                }

                while (!TryReadBreak())
                {
                    var chunk = ReadLength(major, out var nested);
                    if (nested) throw new CborFormatException("An indefinite-length string cannot hold another indefinite-length chunk.");
                    Take(chunk);
                }

                break;
            case CborMajorType.Array or CborMajorType.Map:
                var count = ReadHead(major, out var open);
                var perEntry = major == CborMajorType.Map ? 2UL : 1UL;
                if (open)
                {
                    while (!TryReadBreak())
                    {
                        for (var i = 0UL; i < perEntry; i++) Skip(depth + 1);
                    }
                }
                else
                {
                    for (var i = 0UL; i < count * perEntry; i++) Skip(depth + 1);
                }

                break;
            case CborMajorType.Tag:
                ReadHead(major, out _);
                Skip(depth + 1);
                break;
            default:
                ReadSimpleOrFloat(out _, out _);
                break;
        }
    }

    private ulong ReadArgument(int info) => info switch
    {
        < 24 => (ulong)info,
        24 => Take(1)[0],
        25 => BinaryPrimitives.ReadUInt16BigEndian(Take(2)),
        26 => BinaryPrimitives.ReadUInt32BigEndian(Take(4)),
        27 => BinaryPrimitives.ReadUInt64BigEndian(Take(8)),
        _ => throw new CborFormatException("Reserved CBOR additional information."),
    };

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position) throw new CborFormatException("Unexpected end of CBOR data.");
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }
}

/// <summary>Bounds that keep hostile input from exhausting the stack.</summary>
public static class CborLimits
{
    /// <summary>Deepest nesting of arrays, maps and tags accepted.</summary>
    public const int MaxDepth = 64;
}
