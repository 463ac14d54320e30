using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sluice.AwsProtocol.Validation;

/// <summary>
/// Checks a request body against its operation's shape the way AWS's Coral front end does:
/// JSON types first (SerializationException), then model constraints (ValidationException, up to ten listed).
/// </summary>
public static class InputValidator
{
    private const int MaxErrors = 10;

    public static void Validate(JsonElement body, StructureShape shape)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw AwsException.Serialization("Start of structure or map found where not expected.");
        }

        CheckTypes(body, shape);
        var errors = new List<string>();
        CheckStructure(body, shape, null, errors);
        if (errors.Count > 0)
        {
            var noun = errors.Count == 1 ? "validation error" : "validation errors";
            throw AwsException.Validation($"{errors.Count} {noun} detected: {string.Join("; ", errors)}");
        }
    }

    /// <summary>True when the member is present and not JSON null (AWS treats null as absent).</summary>
    public static bool TryGetMember(JsonElement obj, string name, out JsonElement value)
    {
        if (obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null)
        {
            return true;
        }

        value = default;
        return false;
    }

    private static void CheckTypes(JsonElement obj, StructureShape shape)
    {
        // Indexed, not foreach: the members are an IReadOnlyList, whose enumerator would be allocated per record.
        var members = shape.Members;
        for (var i = 0; i < members.Count; i++)
        {
            var (name, member, _) = members[i];
            if (TryGetMember(obj, name, out var value))
            {
                CheckType(value, member);
            }
        }
    }

    private static void CheckType(JsonElement value, Shape shape)
    {
        var kind = value.ValueKind;
        switch (shape)
        {
            case StringShape:
                if (kind == JsonValueKind.String) return;
                throw Mismatch(kind, "String");
            case NumberShape n:
                if (kind == JsonValueKind.Number) return;
                if (kind == JsonValueKind.String) throw AwsException.Serialization("class java.lang.String can not be converted to an " + n.JavaName);
                throw Mismatch(kind, n.JavaName);
            case BooleanShape:
                if (kind is JsonValueKind.True or JsonValueKind.False) return;
                if (kind == JsonValueKind.Number) throw AwsException.Serialization("class java.math.BigDecimal can not be converted to an Boolean");
                if (kind == JsonValueKind.String) throw AwsException.Serialization($"'{value.GetString()!.ToUpperInvariant()}' can not be converted to an Boolean");
                throw Mismatch(kind, "Boolean");
            case BlobShape:
                if (kind != JsonValueKind.String) throw Mismatch(kind, "Blob", article: "a");
                if (!IsPlainBase64(RawString(value))) CheckBase64(value.GetString()!);
                return;
            case TimestampShape:
                if (kind == JsonValueKind.Number) return;
                if (kind == JsonValueKind.String && TryParseTimestamp(value, out _)) return;
                if (kind == JsonValueKind.String) throw AwsException.Serialization("class java.lang.String can not be converted to milliseconds since epoch");
                throw Mismatch(kind, "Date");
            case ListShape list:
                if (kind != JsonValueKind.Array)
                {
                    throw AwsException.Serialization(kind == JsonValueKind.Object ? "Start of structure or map found where not expected." : "Expected list or null");
                }

                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Null) CheckType(item, list.Member);
                }

                return;
            case MapShape map:
                if (kind != JsonValueKind.Object)
                {
                    throw AwsException.Serialization(kind == JsonValueKind.Array ? "Start of list found where not expected" : "Expected map or null");
                }

                foreach (var prop in value.EnumerateObject())
                {
                    if (prop.Value.ValueKind != JsonValueKind.Null) CheckType(prop.Value, map.Value);
                }

                return;
            case StructureShape structure:
                if (kind != JsonValueKind.Object)
                {
                    throw AwsException.Serialization(kind == JsonValueKind.Array ? "Start of list found where not expected" : "Expected null");
                }

                CheckTypes(value, structure);
                return;
            default:
                throw new InvalidOperationException("Unknown shape " + shape.GetType().Name);
        }
    }

    private static AwsException Mismatch(JsonValueKind kind, string javaName, string article = "an") => kind switch
    {
        JsonValueKind.True or JsonValueKind.False => AwsException.Serialization($"class java.lang.Boolean can not be converted to {article} {javaName}"),
        JsonValueKind.Number => AwsException.Serialization($"class java.math.BigDecimal can not be converted to {article} {javaName}"),
        JsonValueKind.String => AwsException.Serialization($"class java.lang.String can not be converted to {article} {javaName}"),
        JsonValueKind.Array => AwsException.Serialization("Start of list found where not expected"),
        _ => AwsException.Serialization("Start of structure or map found where not expected."),
    };

    private static void CheckBase64(string text)
    {
        if (text.Length % 4 != 0)
        {
            throw AwsException.Serialization($"'{text}' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: {text.Length}");
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var valid = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '+' or '/' or '=';
            if (!valid || (c == '=' && i + 1 < text.Length && text[i + 1] != '='))
            {
                throw AwsException.Serialization($"'{text}' can not be converted to a Blob: Invalid Base64 character: '{c}'");
            }
        }

        if (!Base64.IsValid(text) || !IsCanonicalBase64(text))
        {
            throw AwsException.Serialization($"'{text}' can not be converted to a Blob: Invalid last non-pad Base64 character dectected");
        }
    }

    private static bool IsCanonicalBase64(string text)
    {
        // The unused low bits of the last non-pad character must be zero, or the text does not round-trip.
        var pad = text.EndsWith("==", StringComparison.Ordinal) ? 2 : text.EndsWith('=') ? 1 : 0;
        if (pad == 0 || text.Length == 0) return true;
        return UnusedBitsClear(text[text.Length - pad - 1], pad);
    }

    private static bool UnusedBitsClear(char last, int pad)
    {
        var bits = last switch
        {
            >= 'A' and <= 'Z' => last - 'A',
            >= 'a' and <= 'z' => last - 'a' + 26,
            >= '0' and <= '9' => last - '0' + 52,
            '+' => 62,
            _ => 63,
        };
        return pad == 2 ? (bits & 0xF) == 0 : (bits & 0x3) == 0;
    }

    /// <summary>Reads a timestamp member: epoch seconds as a number (fractions are milliseconds) or ISO-8601 text.</summary>
    public static bool TryParseTimestamp(JsonElement value, out DateTimeOffset result)
    {
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var seconds))
        {
            result = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Floor(seconds * 1000 + 0.5));
            return true;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            var text = value.GetString()!;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds))
            {
                result = DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Floor(seconds * 1000 + 0.5));
                return true;
            }

            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out result);
        }

        result = default;
        return false;
    }

    private static void CheckStructure(JsonElement obj, StructureShape shape, string? parent, List<string> errors)
    {
        foreach (var (name, member, required) in shape.Members)
        {
            if (errors.Count >= MaxErrors) return;
            var path = Join(parent, LowerFirst(name));
            if (!TryGetMember(obj, name, out var value))
            {
                if (required) errors.Add($"Value null at '{path}' failed to satisfy constraint: Member must not be null");
                continue;
            }

            CheckValue(value, member, path, errors);
        }
    }

    private static void CheckValue(JsonElement value, Shape shape, string path, List<string> errors)
    {
        switch (shape)
        {
            case StringShape s:
                {
                    var text = value.GetString()!;
                    var length = text.Length;
                    if (s.MinLength is { } min && length < min) Add(errors, path, Quote(text), "Member must have length greater than or equal to " + min);
                    if (s.MaxLength is { } max && length > max) Add(errors, path, Quote(text), "Member must have length less than or equal to " + max);
                    if (s.Regex is { } regex && !regex.IsMatch(text)) Add(errors, path, Quote(text), "Member must satisfy regular expression pattern: " + s.Pattern);
                    if (s.Enum is { } values && !values.Contains(text)) Add(errors, path, Quote(text), $"Member must satisfy enum value set: [{string.Join(", ", values)}]");
                    break;
                }

            case NumberShape n:
                {
                    var number = ReadWholeNumber(value);
                    var shown = number.ToString(CultureInfo.InvariantCulture);
                    if (n.Min is { } min && number < min) Add(errors, path, Quote(shown), "Member must have value greater than or equal to " + min);
                    if (n.Max is { } max && number > max) Add(errors, path, Quote(shown), "Member must have value less than or equal to " + max);
                    break;
                }

            case BlobShape b:
                {
                    var length = (value.GetString()!.Length / 4 * 3) - Padding(value.GetString()!);
                    var shown = Quote($"java.nio.HeapByteBuffer[pos=0 lim={length} cap={length}]");
                    if (b.MinLength is { } min && length < min) Add(errors, path, shown, "Member must have length greater than or equal to " + min);
                    if (b.MaxLength is { } max && length > max) Add(errors, path, shown, "Member must have length less than or equal to " + max);
                    break;
                }

            case ListShape list:
                {
                    var count = value.GetArrayLength();
                    if (list.MinLength is { } min && count < min) Add(errors, path, Quote(ListText(value)), "Member must have length greater than or equal to " + min);
                    if (list.MaxLength is { } max && count > max) Add(errors, path, Quote(ListText(value)), "Member must have length less than or equal to " + max);
                    var index = 0;
                    foreach (var item in value.EnumerateArray())
                    {
                        index++;
                        if (errors.Count >= MaxErrors) return;

                        // The common valid item is checked without building its path or reading its strings.
                        if (item.ValueKind != JsonValueKind.Null && Satisfies(item, list.Member)) continue;
                        var itemPath = $"{path}.{index}.member";
                        if (item.ValueKind == JsonValueKind.Null)
                        {
                            Add(errors, itemPath, "null", "Member must not be null");
                            continue;
                        }

                        if (list.Member is StructureShape inner) CheckStructure(item, inner, itemPath, errors);
                        else CheckValue(item, list.Member, itemPath, errors);
                    }

                    break;
                }

            case MapShape map:
                {
                    var count = 0;
                    var badKey = false;
                    var badValue = false;
                    foreach (var prop in value.EnumerateObject())
                    {
                        count++;
                        var keyLength = prop.Name.Length;
                        if ((map.Key.MinLength is { } kmin && keyLength < kmin) || (map.Key.MaxLength is { } kmax && keyLength > kmax)) badKey = true;
                        if (map.Value is StringShape vs && prop.Value.ValueKind == JsonValueKind.String)
                        {
                            var valueLength = prop.Value.GetString()!.Length;
                            if ((vs.MinLength is { } vmin && valueLength < vmin) || (vs.MaxLength is { } vmax && valueLength > vmax)) badValue = true;
                        }
                    }

                    if (map.MinLength is { } min && count < min) Add(errors, path, Quote(MapText(value)), "Member must have length greater than or equal to " + min);
                    if (map.MaxLength is { } max && count > max) Add(errors, path, Quote(MapText(value)), "Member must have length less than or equal to " + max);
                    if (badKey) Add(errors, path, Quote(MapText(value)), $"Map keys must satisfy constraint: [Member must have length less than or equal to {map.Key.MaxLength}, Member must have length greater than or equal to {map.Key.MinLength}]");
                    if (badValue && map.Value is StringShape v) Add(errors, path, Quote(MapText(value)), $"Map value must satisfy constraint: [Member must have length less than or equal to {v.MaxLength}, Member must have length greater than or equal to {v.MinLength}]");
                    break;
                }

            case StructureShape structure:
                CheckStructure(value, structure, path, errors);
                break;
        }
    }

    /// <summary>
    /// True when <see cref="CheckValue"/> would find nothing wrong; false means "look closer" (it may still be valid).
    /// Reads the raw UTF-8 text, so a valid member costs no allocation.
    /// </summary>
    private static bool Satisfies(JsonElement value, Shape shape)
    {
        switch (shape)
        {
            case StringShape s:
                {
                    if (s.Enum is not null || value.ValueKind != JsonValueKind.String) return false;
                    var raw = RawString(value);
                    if (raw.IndexOf((byte)'\\') >= 0) return false;
                    var length = System.Text.Encoding.UTF8.GetCharCount(raw);
                    if ((s.MinLength is { } min && length < min) || (s.MaxLength is { } max && length > max)) return false;
                    if (s.Regex is not { } regex) return true;
                    if (length > 256) return false;
                    Span<char> text = stackalloc char[length];
                    System.Text.Encoding.UTF8.GetChars(raw, text);
                    return regex.IsMatch(text);
                }

            case BlobShape b:
                {
                    if (value.ValueKind != JsonValueKind.String) return false;
                    var raw = RawString(value);
                    if (raw.IndexOf((byte)'\\') >= 0) return false;
                    var pad = raw.EndsWith("=="u8) ? 2 : raw.EndsWith("="u8) ? 1 : 0;
                    var length = (raw.Length / 4 * 3) - pad;
                    return (b.MinLength is not { } min || length >= min) && (b.MaxLength is not { } max || length <= max);
                }

            case StructureShape structure:
                var members = structure.Members;
                for (var i = 0; i < members.Count; i++)
                {
                    var (name, member, required) = members[i];
                    if (!TryGetMember(value, name, out var m))
                    {
                        if (required) return false;
                        continue;
                    }

                    if (!Satisfies(m, member)) return false;
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>The raw UTF-8 text of a JSON string, between its quotes, escapes left as written.</summary>
    private static ReadOnlySpan<byte> RawString(JsonElement value)
    {
        var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value);
        return raw.Length >= 2 && raw[0] == (byte)'"' ? raw[1..^1] : raw;
    }

    /// <summary>Base64 that <see cref="CheckBase64"/> accepts: canonical, padded, no whitespace and no escapes.</summary>
    private static bool IsPlainBase64(ReadOnlySpan<byte> text)
    {
        if (text.Length % 4 != 0 || text.IndexOf((byte)'\\') >= 0) return false;
        var pad = text.EndsWith("=="u8) ? 2 : text.EndsWith("="u8) ? 1 : 0;

        // Whitespace passes IsValid but shortens the decoded length, so an exact length rules it out.
        if (!Base64.IsValid(text, out var decoded) || decoded != (text.Length / 4 * 3) - pad) return false;
        return pad == 0 || UnusedBitsClear((char)text[text.Length - pad - 1], pad);
    }

    /// <summary>Reads an integral member as AWS does: fractions are truncated toward negative infinity.</summary>
    public static long ReadWholeNumber(JsonElement value)
    {
        if (value.TryGetInt64(out var whole)) return whole;
        var d = Math.Floor(value.GetDouble());
        return d >= long.MaxValue ? long.MaxValue : d <= long.MinValue ? long.MinValue : (long)d;
    }

    private static int Padding(string base64) => base64.EndsWith("==", StringComparison.Ordinal) ? 2 : base64.EndsWith('=') ? 1 : 0;

    private static void Add(List<string> errors, string path, string shownValue, string constraint)
    {
        if (errors.Count < MaxErrors) errors.Add($"Value {shownValue} at '{path}' failed to satisfy constraint: {constraint}");
    }

    private static string Quote(string s) => "'" + s + "'";

    private static string ListText(JsonElement list)
    {
        var sb = new StringBuilder("[");
        var first = true;
        foreach (var item in list.EnumerateArray())
        {
            if (!first) sb.Append(", ");
            first = false;
            sb.Append(item.ValueKind == JsonValueKind.String ? item.GetString() : item.GetRawText());
        }

        return sb.Append(']').ToString();
    }

    private static string MapText(JsonElement map)
    {
        var sb = new StringBuilder("{");
        var first = true;
        foreach (var prop in map.EnumerateObject())
        {
            if (!first) sb.Append(", ");
            first = false;
            sb.Append(prop.Name).Append('=').Append(prop.Value.ValueKind == JsonValueKind.String ? prop.Value.GetString() : prop.Value.GetRawText());
        }

        return sb.Append('}').ToString();
    }

    private static string Join(string? parent, string name) => parent is null ? name : parent + "." + name;

    public static string LowerFirst(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];
}
