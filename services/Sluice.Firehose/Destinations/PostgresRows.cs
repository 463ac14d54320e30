using System.Text;
using System.Text.Json;

namespace Sluice.Firehose.Destinations;

/// <summary>The columns a load fills, in COPY order: their SQL names, whether each holds text, and a case-insensitive lookup for JSON keys.</summary>
public sealed class PostgresColumns
{
    public PostgresColumns(IReadOnlyList<string> sqlNames, IReadOnlyList<bool> isText)
    {
        SqlNames = sqlNames;
        IsText = isText;
        for (var i = 0; i < sqlNames.Count; i++) _byName.TryAdd(sqlNames[i].Trim('"'), i);
    }

    private readonly Dictionary<string, int> _byName = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<string> SqlNames { get; }

    public IReadOnlyList<bool> IsText { get; }

    public int Count => SqlNames.Count;

    public bool TryFind(string key, out int index) => _byName.TryGetValue(key, out index);
}

/// <summary>
/// Turns a batch's records into PostgreSQL COPY text rows the way Redshift COPY reads the objects Firehose stages: each
/// record may hold several newline-separated rows (or several JSON objects). A row that does not fit the columns
/// fails the whole batch with a message naming the record, the line and the problem.
/// </summary>
public static class PostgresRows
{
    /// <summary>Appends every row of <paramref name="records"/> to <paramref name="copyText"/>; returns the row count or the first error.</summary>
    public static (long Rows, string? Error) Write(PostgresCopyCommand command, PostgresColumns columns, IReadOnlyList<BufferedRecord> records, StringBuilder copyText)
    {
        var values = new string?[columns.Count];
        var fields = new List<(string Text, bool Quoted)>(columns.Count);
        var headerLeft = command.IgnoreHeader;
        long rows = 0;
        for (var r = 0; r < records.Count; r++)
        {
            var data = records[r].Data;
            if (command.Format == PostgresRowFormat.JsonAuto)
            {
                var error = WriteJson(data.Span, columns, values, copyText, ref rows, ref headerLeft);
                if (error is not null) return (rows, $"Record {r}: {error}");
                continue;
            }

            var text = Encoding.UTF8.GetString(data.Span);
            var pos = 0;
            var line = 0;
            while (pos < text.Length)
            {
                line++;
                fields.Clear();
                pos = command.Format == PostgresRowFormat.Csv
                    ? ReadCsvLine(text, pos, command.Delimiter, command.Quote, fields)
                    : ReadDelimitedLine(text, pos, command.Delimiter, fields);
                if (fields.Count == 1 && fields[0].Text.Length == 0 && !fields[0].Quoted) continue;
                if (headerLeft > 0)
                {
                    headerLeft--;
                    continue;
                }

                if (fields.Count != columns.Count)
                {
                    return (rows, $"Record {r} line {line}: {fields.Count} fields, but the load fills {columns.Count} columns ({string.Join(", ", columns.SqlNames)}); delimiter '{command.Delimiter}'.");
                }

                for (var c = 0; c < fields.Count; c++) values[c] = FieldValue(fields[c], columns.IsText[c], command);
                AppendRow(values, copyText);
                rows++;
            }
        }

        return (rows, null);
    }

    private static string? WriteJson(ReadOnlySpan<byte> data, PostgresColumns columns, string?[] values, StringBuilder copyText, ref long rows, ref int headerLeft)
    {
        var reader = new Utf8JsonReader(data, new JsonReaderOptions { AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.StartObject) return $"expected a JSON object, found {reader.TokenType} at byte {reader.TokenStartIndex}.";
                Array.Clear(values);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var found = columns.TryFind(reader.GetString()!, out var column);
                    reader.Read();
                    string? value;
                    switch (reader.TokenType)
                    {
                        case JsonTokenType.String:
                            value = reader.GetString();
                            break;
                        case JsonTokenType.Number:
                            value = Encoding.UTF8.GetString(reader.ValueSpan);
                            break;
                        case JsonTokenType.True:
                            value = "true";
                            break;
                        case JsonTokenType.False:
                            value = "false";
                            break;
                        case JsonTokenType.Null:
                            value = null;
                            break;
                        default:
                            // Nested objects and arrays land as JSON text (json/jsonb/text columns), as Redshift loads them into SUPER/VARCHAR.
                            var start = (int)reader.TokenStartIndex;
                            reader.Skip();
                            value = found ? Encoding.UTF8.GetString(data[start..(int)reader.BytesConsumed]) : null;
                            break;
                    }

                    if (found) values[column] = value;
                }

                if (headerLeft > 0)
                {
                    headerLeft--;
                    continue;
                }

                AppendRow(values, copyText);
                rows++;
            }
        }
        catch (JsonException e)
        {
            return $"not valid JSON ({e.Message})";
        }

        return null;
    }

    private static string? FieldValue((string Text, bool Quoted) field, bool isText, PostgresCopyCommand command)
    {
        var text = field.Text;
        if (field.Quoted) return text;
        // Redshift's default NULL AS is \N for delimited text; CSV has none.
        if (command.NullAs is not null ? text == command.NullAs : command.Format == PostgresRowFormat.Delimited && text == "\\N") return null;
        if (text.Length == 0) return isText && !command.EmptyAsNull ? text : null;
        if (command.BlanksAsNull && string.IsNullOrWhiteSpace(text)) return null;
        return text;
    }

    /// <summary>Reads one line of delimiter-separated fields from <paramref name="pos"/>; returns where the next line starts.</summary>
    private static int ReadDelimitedLine(string text, int pos, char delimiter, List<(string, bool)> fields)
    {
        var end = text.IndexOf('\n', pos);
        var next = end < 0 ? text.Length : end + 1;
        if (end < 0) end = text.Length;
        if (end > pos && text[end - 1] == '\r') end--;
        var start = pos;
        for (var i = pos; i < end; i++)
        {
            if (text[i] != delimiter) continue;
            fields.Add((text[start..i], false));
            start = i + 1;
        }

        fields.Add((text[start..end], false));
        return next;
    }

    /// <summary>Reads one CSV row (quoted fields may hold delimiters, doubled quotes and newlines); returns where the next row starts.</summary>
    private static int ReadCsvLine(string text, int pos, char delimiter, char quote, List<(string, bool)> fields)
    {
        var sb = new StringBuilder();
        var quoted = false;
        var inQuotes = false;
        var i = pos;
        while (i < text.Length)
        {
            var c = text[i];
            if (inQuotes)
            {
                if (c == quote)
                {
                    if (i + 1 < text.Length && text[i + 1] == quote)
                    {
                        sb.Append(quote);
                        i += 2;
                        continue;
                    }

                    inQuotes = false;
                    i++;
                    continue;
                }

                sb.Append(c);
                i++;
                continue;
            }

            if (c == quote && sb.Length == 0 && !quoted)
            {
                quoted = inQuotes = true;
                i++;
                continue;
            }

            if (c == delimiter)
            {
                fields.Add((sb.ToString(), quoted));
                sb.Clear();
                quoted = false;
                i++;
                continue;
            }

            if (c == '\n' || c == '\r')
            {
                i += c == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 1;
                fields.Add((sb.ToString(), quoted));
                return i;
            }

            sb.Append(c);
            i++;
        }

        fields.Add((sb.ToString(), quoted));
        return i;
    }

    /// <summary>One row in COPY's text format: tab-separated, \N for NULL, backslash escapes.</summary>
    private static void AppendRow(string?[] values, StringBuilder copyText)
    {
        for (var c = 0; c < values.Length; c++)
        {
            if (c > 0) copyText.Append('\t');
            var v = values[c];
            if (v is null)
            {
                copyText.Append("\\N");
                continue;
            }

            foreach (var ch in v)
            {
                switch (ch)
                {
                    case '\\':
                        copyText.Append("\\\\");
                        break;
                    case '\t':
                        copyText.Append("\\t");
                        break;
                    case '\n':
                        copyText.Append("\\n");
                        break;
                    case '\r':
                        copyText.Append("\\r");
                        break;
                    default:
                        copyText.Append(ch);
                        break;
                }
            }
        }

        copyText.Append('\n');
    }
}
