using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sluice.Alerts.Rules;

/// <summary>
/// The fields a stream's rules read, pulled out of one JSON record: one reused instance per consumer, numbers without
/// allocation, text only for the fields compared as text (keys, time fields, eq/ne on strings).
/// </summary>
public sealed class RecordView
{
    private readonly byte[][] _names;
    private readonly bool[] _needsText;

    public RecordView(IReadOnlyList<string> fields, IReadOnlySet<string> textFields)
    {
        _names = new byte[fields.Count][];
        _needsText = new bool[fields.Count];
        for (var i = 0; i < fields.Count; i++)
        {
            _names[i] = Encoding.UTF8.GetBytes(fields[i]);
            _needsText[i] = textFields.Contains(fields[i]);
        }

        Present = new bool[fields.Count];
        IsNumber = new bool[fields.Count];
        Numbers = new double[fields.Count];
        Texts = new string?[fields.Count];
        _times = new long[fields.Count];
        _timeRead = new bool[fields.Count];
    }

    private readonly long[] _times;
    private readonly bool[] _timeRead;

    public bool[] Present { get; }

    public bool[] IsNumber { get; }

    public double[] Numbers { get; }

    public string?[] Texts { get; }

    /// <summary>Reads a record; false when it is not a JSON object (the record is skipped).</summary>
    public bool Read(ReadOnlySpan<byte> json)
    {
        Array.Clear(Present);
        Array.Clear(_timeRead);
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var slot = -1;
                for (var i = 0; i < _names.Length; i++)
                {
                    if (reader.ValueTextEquals(_names[i]))
                    {
                        slot = i;
                        break;
                    }
                }

                reader.Read();
                if (slot < 0 || reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.Null)
                {
                    reader.Skip();
                    continue;
                }

                Present[slot] = true;
                switch (reader.TokenType)
                {
                    case JsonTokenType.Number:
                        IsNumber[slot] = reader.TryGetDouble(out Numbers[slot]);
                        if (_needsText[slot]) Texts[slot] = Encoding.UTF8.GetString(reader.ValueSpan);
                        break;
                    case JsonTokenType.String:
                        IsNumber[slot] = !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out Numbers[slot], out var used) && used == reader.ValueSpan.Length;
                        if (_needsText[slot]) Texts[slot] = reader.GetString();
                        break;
                    case JsonTokenType.True or JsonTokenType.False:
                        IsNumber[slot] = true;
                        Numbers[slot] = reader.TokenType == JsonTokenType.True ? 1 : 0;
                        if (_needsText[slot]) Texts[slot] = reader.TokenType == JsonTokenType.True ? "true" : "false";
                        break;
                }
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static readonly string[] TimeFormats = ["yyyy-MM-dd HH:mm:ss.fff", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF"];

    /// <summary>The field as a time in Unix ms: KDA's TIMESTAMP text (UTC), ISO 8601, or epoch milliseconds.</summary>
    public bool TryGetTime(int slot, out long unixMs)
    {
        // Several rules often read the same time field: parse it once per record.
        if (_timeRead[slot])
        {
            unixMs = _times[slot];
            return unixMs != long.MinValue;
        }

        _timeRead[slot] = true;
        var ok = ParseTime(slot, out unixMs);
        _times[slot] = ok ? unixMs : long.MinValue;
        return ok;
    }

    private bool ParseTime(int slot, out long unixMs)
    {
        unixMs = 0;
        if (!Present[slot]) return false;
        if (Texts[slot] is { } text && DateTimeOffset.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            unixMs = t.ToUnixTimeMilliseconds();
            return true;
        }

        if (IsNumber[slot])
        {
            unixMs = (long)Numbers[slot];
            return true;
        }

        return false;
    }
}
