using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Output;

/// <summary>
/// Turns an output row into one destination record: JSON <c>{"COL":value,...}</c> (names as stored, timestamps
/// "yyyy-MM-dd HH:mm:ss.SSS", decimals as numbers, no trailing newline, as KDA wrote them) or a CSV line ending in "\n".
/// </summary>
public sealed class RowEncoder
{
    private readonly SqlColumn[] _columns;
    private readonly JsonEncodedText[] _names;
    private readonly bool _json;
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _writer;

    public RowEncoder(IReadOnlyList<SqlColumn> columns, string recordFormatType)
    {
        _columns = [.. columns];
        _names = new JsonEncodedText[_columns.Length];
        for (var i = 0; i < _columns.Length; i++) _names[i] = JsonEncodedText.Encode(_columns[i].Name);
        _json = recordFormatType != "CSV";
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public byte[] Encode(ReadOnlySpan<object?> values)
    {
        _buffer.ResetWrittenCount();
        if (_json)
        {
            _writer.Reset(_buffer);
            _writer.WriteStartObject();
            for (var i = 0; i < _columns.Length && i < values.Length; i++)
            {
                _writer.WritePropertyName(_names[i]);
                WriteJson(values[i], _columns[i].Type.Kind);
            }

            _writer.WriteEndObject();
            _writer.Flush();
            return _buffer.WrittenSpan.ToArray();
        }

        var sb = new StringBuilder();
        for (var i = 0; i < _columns.Length && i < values.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(Text(values[i], _columns[i].Type.Kind));
        }

        sb.Append('\n');
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static string? Text(object? value, SqlTypeKind kind) => value switch
    {
        null => string.Empty,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        int n => n.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        decimal m => m.ToString(CultureInfo.InvariantCulture),
        DateTime t => kind == SqlTypeKind.Date ? t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : t.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
        TimeSpan s => s.ToString(@"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture),
        byte[] bytes => Convert.ToHexString(bytes),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private void WriteJson(object? value, SqlTypeKind kind)
    {
        switch (value)
        {
            case null: _writer.WriteNullValue(); break;
            case bool b: _writer.WriteBooleanValue(b); break;
            case long l: _writer.WriteNumberValue(l); break;
            case int n: _writer.WriteNumberValue(n); break;
            case double d when double.IsFinite(d): _writer.WriteNumberValue(d); break;
            case float f when float.IsFinite(f): _writer.WriteNumberValue(f); break;
            case double or float: _writer.WriteNullValue(); break;
            case decimal m: _writer.WriteNumberValue(m); break;
            default: _writer.WriteStringValue(Text(value, kind)); break;
        }
    }
}
