using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Input;

/// <summary>
/// The KDA source-to-SQL conversions (JSON values and CSV fields into engine values): numbers parse or fail, BOOLEAN is
/// true iff the text is "true", strings are silently cut to their length, timestamps accept the SQL and ISO forms. A
/// failure is a message for error_stream, never an exception.
/// </summary>
public static class Coercion
{
    private static readonly string[] TimestampFormats =
    [
        "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd HH:mm", "yyyy-MM-dd",
    ];

    private static readonly string[] TimeFormats = ["HH:mm:ss.FFFFFFF", "HH:mm:ss", "HH:mm"];

    /// <summary>A JSON value into the column's type; false with a message when it cannot be converted.</summary>
    public static bool TryFromJson(JsonElement value, SqlType type, out object? result, out string? error)
    {
        result = null;
        error = null;
        switch (value.ValueKind)
        {
            case JsonValueKind.Null or JsonValueKind.Undefined:
                return true;
            case JsonValueKind.True or JsonValueKind.False:
                return FromBoolean(value.ValueKind == JsonValueKind.True, type, out result, out error);

            case JsonValueKind.Number:
                if (type.Kind == SqlTypeKind.Boolean)
                {
                    result = value.GetDouble() != 0;
                    return true;
                }

                if (type.Kind is SqlTypeKind.Char or SqlTypeKind.Varchar)
                {
                    result = Cut(value.GetRawText(), type);
                    return true;
                }

                if (type.Kind is SqlTypeKind.Date or SqlTypeKind.Time or SqlTypeKind.Timestamp or SqlTypeKind.Binary or SqlTypeKind.Varbinary)
                {
                    error = $"Cannot convert number {value.GetRawText()} to {type.Kind}.";
                    return false;
                }

                // Fast paths without text: the common integer, floating and decimal columns.
                switch (type.Kind)
                {
                    case SqlTypeKind.BigInt when value.TryGetInt64(out var big):
                        result = big;
                        return true;
                    case SqlTypeKind.Integer when value.TryGetInt32(out var i32):
                        result = (long)i32;
                        return true;
                    case SqlTypeKind.Double when value.TryGetDouble(out var dbl):
                        result = dbl;
                        return true;
                    case SqlTypeKind.Decimal when type.Precision == 0 && value.TryGetDecimal(out var dec):
                        result = dec;
                        return true;
                }

                return TryFromText(value.GetRawText(), type, out result, out error);
            case JsonValueKind.String:
                return TryFromText(value.GetString()!, type, out result, out error);
            default:
                if (type.Kind is SqlTypeKind.Char or SqlTypeKind.Varchar)
                {
                    result = Cut(value.GetRawText(), type);
                    return true;
                }

                error = $"Cannot convert a JSON {value.ValueKind.ToString().ToLowerInvariant()} to {type.Kind}.";
                return false;
        }
    }

    /// <summary>
    /// The scalar token the reader stands on (null, boolean, number or string) into the column's type, with the same
    /// results as <see cref="TryFromJson"/>; numbers of the common column types convert without text.
    /// </summary>
    public static bool TryFromJsonToken(ref Utf8JsonReader reader, SqlType type, out object? result, out string? error)
    {
        result = null;
        error = null;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.True or JsonTokenType.False:
                return FromBoolean(reader.TokenType == JsonTokenType.True, type, out result, out error);
            case JsonTokenType.String:
                return TryFromText(reader.GetString()!, type, out result, out error);
            case JsonTokenType.Number:
                switch (type.Kind)
                {
                    case SqlTypeKind.Boolean:
                        result = reader.GetDouble() != 0;
                        return true;
                    case SqlTypeKind.BigInt when reader.TryGetInt64(out var big):
                        result = big;
                        return true;
                    case SqlTypeKind.Integer when reader.TryGetInt32(out var i32):
                        result = (long)i32;
                        return true;
                    case SqlTypeKind.Double when reader.TryGetDouble(out var dbl):
                        result = dbl;
                        return true;
                    case SqlTypeKind.Decimal when type.Precision == 0 && reader.TryGetDecimal(out var dec):
                        result = dec;
                        return true;
                    case SqlTypeKind.Decimal when reader.TryGetDecimal(out var scaled) && TryFit(ref scaled, type):
                        result = scaled;
                        return true;
                }

                // Numbers are never escaped: the raw bytes are the number's text.
                var raw = Encoding.UTF8.GetString(reader.ValueSpan);
                if (type.Kind is SqlTypeKind.Char or SqlTypeKind.Varchar)
                {
                    result = Cut(raw, type);
                    return true;
                }

                if (type.Kind is SqlTypeKind.Date or SqlTypeKind.Time or SqlTypeKind.Timestamp or SqlTypeKind.Binary or SqlTypeKind.Varbinary)
                {
                    error = $"Cannot convert number {raw} to {type.Kind}.";
                    return false;
                }

                return TryFromText(raw, type, out result, out error);
            default:
                error = $"Cannot convert a JSON {reader.TokenType} to {type.Kind}.";
                return false;
        }
    }

    private static bool FromBoolean(bool b, SqlType type, out object? result, out string? error)
    {
        result = null;
        error = null;
        switch (type.Kind)
        {
            case SqlTypeKind.Boolean: result = b; return true;
            case SqlTypeKind.Char or SqlTypeKind.Varchar: result = Cut(b ? "true" : "false", type); return true;
            case SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Integer or SqlTypeKind.BigInt: result = b ? 1L : 0L; return true;
            case SqlTypeKind.Real or SqlTypeKind.Double: result = b ? 1d : 0d; return true;
            case SqlTypeKind.Decimal: result = b ? 1m : 0m; return true;
            default: error = $"Cannot convert boolean to {type.Kind}."; return false;
        }
    }

    /// <summary>Rounds to the column's scale; false when the integer digits do not fit its precision.</summary>
    private static bool TryFit(ref decimal dec, SqlType type)
    {
        if (type.Precision == 0) return true;
        dec = Math.Round(dec, type.Scale, MidpointRounding.AwayFromZero);
        return Math.Abs(decimal.Truncate(dec)) < Pow10(type.Precision - type.Scale);
    }

    /// <summary>Text (a JSON string or a CSV field) into the column's type.</summary>
    public static bool TryFromText(string text, SqlType type, out object? result, out string? error)
    {
        result = null;
        error = null;
        var s = text.AsSpan().Trim();
        switch (type.Kind)
        {
            case SqlTypeKind.Char or SqlTypeKind.Varchar:
                result = Cut(text, type);
                return true;
            case SqlTypeKind.Boolean:
                result = s.Equals("true", StringComparison.OrdinalIgnoreCase);
                return true;
            case SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Integer or SqlTypeKind.BigInt:
                if (!long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                {
                    if (decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == decimal.Truncate(d) && d >= long.MinValue && d <= long.MaxValue)
                    {
                        l = (long)d;
                    }
                    else
                    {
                        error = $"Cannot convert '{text}' to {type.Kind}.";
                        return false;
                    }
                }

                var (min, max) = type.Kind switch
                {
                    SqlTypeKind.TinyInt => (sbyte.MinValue, sbyte.MaxValue),
                    SqlTypeKind.SmallInt => (short.MinValue, short.MaxValue),
                    SqlTypeKind.Integer => (int.MinValue, int.MaxValue),
                    _ => (long.MinValue, long.MaxValue),
                };
                if (l < min || l > max)
                {
                    error = $"Value {text} is out of range for {type.Kind}.";
                    return false;
                }

                result = l;
                return true;
            case SqlTypeKind.Real or SqlTypeKind.Double:
                if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var dbl))
                {
                    error = $"Cannot convert '{text}' to {type.Kind}.";
                    return false;
                }

                result = type.Kind == SqlTypeKind.Real ? (double)(float)dbl : dbl;
                return true;
            case SqlTypeKind.Decimal:
                if (!decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var dec))
                {
                    error = $"Cannot convert '{text}' to DECIMAL.";
                    return false;
                }

                if (!TryFit(ref dec, type))
                {
                    error = $"Value {text} does not fit DECIMAL({type.Precision},{type.Scale}).";
                    return false;
                }

                result = dec;
                return true;
            case SqlTypeKind.Date or SqlTypeKind.Timestamp:
                if (!DateTime.TryParseExact(s, TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var ts))
                {
                    error = $"Cannot convert '{text}' to {type.Kind}.";
                    return false;
                }

                ts = new DateTime(ts.Ticks - (ts.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
                result = type.Kind == SqlTypeKind.Date ? ts.Date : ts;
                return true;
            case SqlTypeKind.Time:
                if (!DateTime.TryParseExact(s, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var asDate))
                {
                    error = $"Cannot convert '{text}' to TIME.";
                    return false;
                }

                result = TimeSpan.FromMilliseconds(Math.Floor(asDate.TimeOfDay.TotalMilliseconds));
                return true;
            case SqlTypeKind.Binary or SqlTypeKind.Varbinary:
                var hex = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? s[2..] : s;
                try
                {
                    result = Convert.FromHexString(hex);
                    return true;
                }
                catch (FormatException)
                {
                    error = $"Cannot convert '{text}' to {type.Kind} (expected hex digits).";
                    return false;
                }

            default:
                error = $"Source values cannot be mapped to {type.Kind}.";
                return false;
        }
    }

    private static string Cut(string text, SqlType type) => type.Length > 0 && text.Length > type.Length ? text[..type.Length] : text;

    private static decimal Pow10(int n)
    {
        var r = 1m;
        for (var i = 0; i < n && i < 28; i++) r *= 10;
        return r;
    }
}
