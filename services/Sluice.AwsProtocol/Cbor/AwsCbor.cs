using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Sluice.AwsProtocol.Validation;

namespace Sluice.AwsProtocol.Cbor;

/// <summary>
/// The AWS CBOR 1.1 protocol as a translation to and from the JSON the handlers read and write: blobs are byte
/// strings, timestamps are epoch milliseconds (tag 1 + integer on output, as the AWS Java SDKs write them).
/// </summary>
public static class AwsCbor
{
    /// <summary>The CBOR tag AWS puts before a timestamp; its number counts milliseconds, not RFC 8949's seconds.</summary>
    public const ulong TimestampTag = 1;

    private const int ScratchKeepBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    /// <summary>
    /// Translates one CBOR request body into JSON, guided by the operation's input shape: byte strings become base64
    /// text, timestamps (tagged or not, integer or float milliseconds) become epoch seconds. Tags are otherwise
    /// transparent. Returns false for malformed CBOR, trailing bytes, or values JSON cannot hold (NaN, non-text keys).
    /// </summary>
    public static bool TryToJson(ReadOnlySpan<byte> cbor, Shape? shape, Utf8JsonWriter json)
    {
        var reader = new CborReader(cbor);
        try
        {
            WriteJsonValue(ref reader, shape, json, 0);
            json.Flush();
            return reader.AtEnd;
        }
        catch (CborFormatException)
        {
            return false;
        }
        catch (ArgumentException)
        {
            // Utf8JsonWriter's own refusals (e.g. a value too large for it).
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        finally
        {
            // Indefinite strings are joined in a per-thread buffer; one huge request should not pin its size.
            if (t_scratch is { Capacity: > ScratchKeepBytes }) t_scratch = null;
        }
    }

    /// <summary>
    /// Translates a JSON document written by a handler (or an event payload) into CBOR: objects and arrays become
    /// indefinite-length maps and arrays, blob members byte strings, timestamp members tag 1 + integer milliseconds.
    /// </summary>
    public static void WriteFromJson(ReadOnlySpan<byte> json, CborOutputTypes types, IBufferWriter<byte> output)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = CborLimits.MaxDepth });
        var writer = new CborWriter(output);
        var blob = false;
        var timestamp = false;
        var memberDepth = -1;
        while (reader.Read())
        {
            // A member's type covers its value and, for a list, the list's items; nested objects name their own members.
            var typed = reader.CurrentDepth - memberDepth is 0 or 1;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    writer.StartMap();
                    break;
                case JsonTokenType.StartArray:
                    writer.StartArray();
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    writer.WriteBreak();
                    break;
                case JsonTokenType.PropertyName:
                    WriteText(ref reader, writer, out var name);
                    blob = types.IsBlob(name);
                    timestamp = types.IsTimestamp(name);
                    memberDepth = reader.CurrentDepth;
                    break;
                case JsonTokenType.String when blob && typed:
                    WriteBlob(ref reader, writer);
                    break;
                case JsonTokenType.String:
                    WriteText(ref reader, writer, out _);
                    break;
                case JsonTokenType.Number when timestamp && typed:
                    writer.WriteTag(TimestampTag);
                    writer.WriteInt64(decimal.ToInt64(Math.Round(reader.GetDecimal() * 1000m, MidpointRounding.AwayFromZero)));
                    break;
                case JsonTokenType.Number:
                    WriteNumber(ref reader, writer);
                    break;
                case JsonTokenType.True:
                    writer.WriteBoolean(true);
                    break;
                case JsonTokenType.False:
                    writer.WriteBoolean(false);
                    break;
                case JsonTokenType.Null:
                    writer.WriteNull();
                    break;
            }
        }

        if (t_scratch is { Capacity: > ScratchKeepBytes }) t_scratch = null;
    }

    /// <summary>The same as <see cref="WriteFromJson"/>, into a new array (for event-stream payloads).</summary>
    public static byte[] FromJson(ReadOnlySpan<byte> json, CborOutputTypes types)
    {
        var output = new ArrayBufferWriter<byte>(Math.Max(json.Length, 16));
        WriteFromJson(json, types, output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Writes the error body `{__type, message}` (message left out when null) as a definite-length CBOR map.</summary>
    public static void WriteError(IBufferWriter<byte> output, string type, string? message)
    {
        var writer = new CborWriter(output);
        writer.StartMap(message is null ? 1 : 2);
        writer.WriteTextString("__type"u8);
        writer.WriteTextString(type);
        if (message is null) return;
        writer.WriteTextString("message"u8);
        writer.WriteTextString(message);
    }

    private static void WriteJsonValue(ref CborReader reader, Shape? shape, Utf8JsonWriter json, int depth)
    {
        if (depth > CborLimits.MaxDepth) throw new CborFormatException("CBOR nesting is too deep.");
        var major = reader.PeekMajorType();
        switch (major)
        {
            case CborMajorType.UnsignedInteger:
                {
                    var value = reader.ReadHead(major, out _);
                    if (shape is TimestampShape) json.WriteNumberValue(value / 1000m);
                    else json.WriteNumberValue(value);
                    break;
                }

            case CborMajorType.NegativeInteger:
                {
                    var argument = reader.ReadHead(major, out _);
                    if (argument <= long.MaxValue)
                    {
                        var value = -1 - (long)argument;
                        if (shape is TimestampShape) json.WriteNumberValue(value / 1000m);
                        else json.WriteNumberValue(value);
                    }
                    else
                    {
                        json.WriteRawValue((-1 - (Int128)argument).ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
                    }

                    break;
                }

            case CborMajorType.ByteString:
                json.WriteBase64StringValue(reader.ReadString(major, Scratch()));
                break;
            case CborMajorType.TextString:
                json.WriteStringValue(ValidUtf8(reader.ReadString(major, Scratch())));
                break;
            case CborMajorType.Array:
                {
                    var count = reader.ReadHead(major, out var indefinite);
                    var member = (shape as ListShape)?.Member;
                    json.WriteStartArray();
                    if (indefinite)
                    {
                        while (!reader.TryReadBreak()) WriteJsonValue(ref reader, member, json, depth + 1);
                    }
                    else
                    {
                        for (var i = 0UL; i < count; i++) WriteJsonValue(ref reader, member, json, depth + 1);
                    }

                    json.WriteEndArray();
                    break;
                }

            case CborMajorType.Map:
                {
                    var count = reader.ReadHead(major, out var indefinite);
                    json.WriteStartObject();
                    if (indefinite)
                    {
                        while (!reader.TryReadBreak()) WriteJsonMember(ref reader, shape, json, depth);
                    }
                    else
                    {
                        for (var i = 0UL; i < count; i++) WriteJsonMember(ref reader, shape, json, depth);
                    }

                    json.WriteEndObject();
                    break;
                }

            case CborMajorType.Tag:
                // Tag 1 marks a timestamp (in milliseconds, the AWS way); the shape already says so. Others are transparent.
                reader.ReadHead(major, out _);
                WriteJsonValue(ref reader, shape, json, depth + 1);
                break;
            default:
                switch (reader.ReadSimpleOrFloat(out var number, out _))
                {
                    case CborSimpleKind.False:
                        json.WriteBooleanValue(false);
                        break;
                    case CborSimpleKind.True:
                        json.WriteBooleanValue(true);
                        break;
                    case CborSimpleKind.Null or CborSimpleKind.Undefined:
                        json.WriteNullValue();
                        break;
                    case CborSimpleKind.Float:
                        if (!double.IsFinite(number)) throw new CborFormatException("JSON cannot hold a non-finite number.");
                        json.WriteNumberValue(shape is TimestampShape ? number / 1000 : number);
                        break;
                    default:
                        throw new CborFormatException("JSON cannot hold a CBOR simple value.");
                }

                break;
        }
    }

    private static void WriteJsonMember(ref CborReader reader, Shape? shape, Utf8JsonWriter json, int depth)
    {
        if (reader.PeekMajorType() != CborMajorType.TextString) throw new CborFormatException("Map keys must be text strings.");
        var name = ValidUtf8(reader.ReadString(CborMajorType.TextString, Scratch()));
        Shape? member = null;
        if (shape is StructureShape structure)
        {
            foreach (var (memberName, memberShape, _) in structure.Members)
            {
                if (AsciiEquals(name, memberName))
                {
                    member = memberShape;
                    break;
                }
            }
        }
        else if (shape is MapShape map)
        {
            member = map.Value;
        }

        json.WritePropertyName(name);
        WriteJsonValue(ref reader, member, json, depth + 1);
    }

    /// <summary>JSON text must be UTF-8, as the JSON path's parser demands; the writer would pass bad bytes through.</summary>
    private static ReadOnlySpan<byte> ValidUtf8(ReadOnlySpan<byte> text) =>
        System.Text.Unicode.Utf8.IsValid(text) ? text : throw new CborFormatException("CBOR text is not valid UTF-8.");

    private static bool AsciiEquals(ReadOnlySpan<byte> utf8, string name)
    {
        if (utf8.Length != name.Length) return false;
        for (var i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] != name[i]) return false;
        }

        return true;
    }

    private static ArrayBufferWriter<byte> Scratch() => t_scratch ??= new ArrayBufferWriter<byte>(256);

    private static void WriteText(ref Utf8JsonReader reader, CborWriter writer, out ReadOnlySpan<byte> utf8)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            utf8 = reader.ValueSpan;
            writer.WriteTextString(utf8);
            return;
        }

        var scratch = Scratch();
        scratch.ResetWrittenCount();
        var length = reader.CopyString(scratch.GetSpan(reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length));
        scratch.Advance(length);
        utf8 = scratch.WrittenSpan;
        writer.WriteTextString(utf8);
    }

    private static void WriteBlob(ref Utf8JsonReader reader, CborWriter writer)
    {
        ReadOnlySpan<byte> base64;
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            base64 = reader.ValueSpan;
        }
        else
        {
            var scratch = Scratch();
            scratch.ResetWrittenCount();
            var copied = reader.CopyString(scratch.GetSpan(reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length));
            scratch.Advance(copied);
            base64 = scratch.WrittenSpan;
        }

        var padding = base64.Length > 0 && base64[^1] == '=' ? (base64.Length > 1 && base64[^2] == '=' ? 2 : 1) : 0;
        var length = base64.Length / 4 * 3 - padding;
        if (base64.Length % 4 != 0 || length < 0) throw new FormatException("A blob member is not valid base64.");
        var target = writer.StartByteString(length);
        if (Base64.DecodeFromUtf8(base64, target, out _, out var written) != OperationStatus.Done || written != length)
        {
            throw new FormatException("A blob member is not valid base64.");
        }

        writer.Advance(written);
    }

    private static void WriteNumber(ref Utf8JsonReader reader, CborWriter writer)
    {
        if (reader.TryGetInt64(out var signed))
        {
            writer.WriteInt64(signed);
        }
        else if (reader.TryGetUInt64(out var unsigned))
        {
            writer.WriteUInt64(unsigned);
        }
        else
        {
            writer.WriteDouble(reader.GetDouble());
        }
    }
}
