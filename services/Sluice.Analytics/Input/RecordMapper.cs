using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Analytics.Applications;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Input;

/// <summary>Receives what a source record maps to: rows in schema column order, or a reason it did not map.</summary>
public interface IMappedRows
{
    void Row(object?[] values);

    void Error(string message);
}

/// <summary>
/// Maps source records to rows by an InputSchema/ReferenceSchema: JSON by RecordRowPath and column JSONPaths (one array
/// may be flattened into one row per element), CSV positionally by the row and column delimiters; values go through
/// <see cref="Coercion"/>.
/// </summary>
public sealed class RecordMapper
{
    private readonly SqlColumn[] _columns;
    private readonly bool _json;
    private readonly string _rowDelimiter = "\n";
    private readonly string _columnDelimiter = ",";
    private readonly JsonPath _rowPath = JsonPath.Parse("$");
    private readonly JsonPath[] _mappings = [];
    private readonly JsonPath? _flatten;
    private readonly int _flattenLength;

    // When the row is the document and every column is a top-level property ($.name), records map in one reader pass:
    // the columns' names in UTF-8, and per column the first column with the same name (two columns may share a path).
    private readonly byte[][]? _flatNames;
    private readonly int[] _sameAs = [];

    public RecordMapper(JsonObject schema)
        : this(schema, ApplicationProgram.Columns(schema))
    {
    }

    public RecordMapper(JsonObject schema, IReadOnlyList<SqlColumn> columns)
    {
        _columns = [.. columns];
        var format = schema["RecordFormat"];
        _json = (string?)format?["RecordFormatType"] != "CSV";
        if (!_json)
        {
            var csv = format?["MappingParameters"]?["CSVMappingParameters"];
            _rowDelimiter = (string?)csv?["RecordRowDelimiter"] ?? "\n";
            _columnDelimiter = (string?)csv?["RecordColumnDelimiter"] ?? ",";
            return;
        }

        _rowPath = JsonPath.Parse((string?)format?["MappingParameters"]?["JSONMappingParameters"]?["RecordRowPath"] ?? "$");
        var records = schema["RecordColumns"] as JsonArray;
        _mappings = new JsonPath[_columns.Length];
        for (var i = 0; i < _columns.Length; i++)
        {
            var mapping = (string?)records?[i]?["Mapping"];
            _mappings[i] = JsonPath.Parse(string.IsNullOrEmpty(mapping) ? JsonPath.Of([_columns[i].Name]) : mapping);
        }

        var flat = _rowPath.Segments.Length == 0;
        foreach (var m in _mappings) flat &= m.Segments.Length == 1 && m.Segments[0].Property is not null;
        if (flat)
        {
            _flatNames = new byte[_columns.Length][];
            _sameAs = new int[_columns.Length];
            for (var i = 0; i < _columns.Length; i++)
            {
                _flatNames[i] = Encoding.UTF8.GetBytes(_mappings[i].Segments[0].Property!);
                _sameAs[i] = i;
                for (var j = 0; j < i; j++)
                {
                    if (_flatNames[j].AsSpan().SequenceEqual(_flatNames[i]))
                    {
                        _sameAs[i] = j;
                        break;
                    }
                }
            }
        }

        // The array to flatten: a wildcard in the row path, else the first wildcard inside (not at the end of) a column path.
        if (_rowPath.WildcardAt >= 0)
        {
            _flatten = _rowPath;
            _flattenLength = _rowPath.WildcardAt + 1;
        }
        else
        {
            foreach (var m in _mappings)
            {
                var at = m.WildcardAt;
                if (at >= 0 && at < m.Segments.Length - 1)
                {
                    _flatten = m;
                    _flattenLength = at + 1;
                    break;
                }
            }
        }
    }

    public IReadOnlyList<SqlColumn> Columns => _columns;

    public void Map(ReadOnlySpan<byte> data, IMappedRows target)
    {
        if (_json) MapJson(data, target);
        else MapCsv(Encoding.UTF8.GetString(data), target);
    }

    private void MapJson(ReadOnlySpan<byte> data, IMappedRows target)
    {
        if (_flatNames is not null && TryMapFlat(data, target)) return;

        // A record may hold several JSON documents (a pre-processing Lambda may return them): each maps on its own.
        var reader = new Utf8JsonReader(data, new JsonReaderOptions { AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip });
        var any = false;
        while (true)
        {
            JsonDocument document;
            try
            {
                if (!reader.Read()) break;
                document = JsonDocument.ParseValue(ref reader);
            }
            catch (JsonException e)
            {
                target.Error("Invalid JSON: " + e.Message);
                return;
            }

            any = true;
            using (document)
            {
                MapDocument(document.RootElement, target);
            }
        }

        if (!any) target.Error("The record holds no JSON document.");
    }

    /// <summary>
    /// One pass of a reader over a record that is a single JSON object of scalar values: no document, no text for
    /// numbers. False (nothing reported) for anything else, a nested value under a mapped name, a repeated name or a
    /// value that does not convert: the general path then maps the record and words any error.
    /// </summary>
    private bool TryMapFlat(ReadOnlySpan<byte> data, IMappedRows target)
    {
        var names = _flatNames!;
        var count = names.Length;
        var values = new object?[count];
        Span<bool> seen = count <= 128 ? stackalloc bool[count] : new bool[count];
        var reader = new Utf8JsonReader(data, new JsonReaderOptions { AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var column = -1;
                for (var i = 0; i < count; i++)
                {
                    if (_sameAs[i] == i && reader.ValueTextEquals(names[i]))
                    {
                        column = i;
                        break;
                    }
                }

                if (!reader.Read()) return false;
                if (column < 0)
                {
                    reader.Skip();
                    continue;
                }

                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) return false;
                for (var i = column; i < count; i++)
                {
                    if (_sameAs[i] != column) continue;
                    if (seen[i] || !Coercion.TryFromJsonToken(ref reader, _columns[i].Type, out values[i], out _)) return false;
                    seen[i] = true;
                }
            }

            // Only a complete object, and nothing after it (a second document goes the general way).
            if (reader.TokenType != JsonTokenType.EndObject || reader.CurrentDepth != 0 || reader.Read()) return false;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }

        target.Row(values);
        return true;
    }

    private void MapDocument(JsonElement root, IMappedRows target)
    {
        if (_flatten is null)
        {
            if (!_rowPath.TryEvaluate(root, 0, _rowPath.Segments.Length, out var row))
            {
                target.Error($"RecordRowPath {_rowPath.Text} matches nothing in the record.");
                return;
            }

            MapRow(root, row, default, false, target);
            return;
        }

        var rowInFlatten = ReferenceEquals(_flatten, _rowPath);
        if (!_flatten.TryEvaluate(root, 0, _flattenLength - 1, out var array) || array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
        {
            // A missing or empty flattened array gives one row of NULLs for the flattened columns.
            MapRow(root, root, default, false, target);
            return;
        }

        foreach (var element in array.EnumerateArray())
        {
            var row = element;
            if (rowInFlatten && !_rowPath.TryEvaluate(element, _flattenLength, _rowPath.Segments.Length, out row)) continue;
            MapRow(root, row, element, true, target);
        }
    }

    private void MapRow(JsonElement root, JsonElement row, JsonElement element, bool hasElement, IMappedRows target)
    {
        var values = new object?[_columns.Length];
        var rowPathDepth = _rowPath.Segments.Length;
        for (var i = 0; i < _columns.Length; i++)
        {
            var path = _mappings[i];
            JsonElement value = default;
            bool found;
            if (_flatten is not null && path.StartsWith(_flatten, _flattenLength))
            {
                found = hasElement && path.TryEvaluate(element, _flattenLength, path.Segments.Length, out value);
            }
            else if (rowPathDepth > 0 && path.StartsWith(_rowPath, rowPathDepth))
            {
                found = path.TryEvaluate(row, rowPathDepth, path.Segments.Length, out value);
            }
            else
            {
                found = path.TryEvaluate(root, 0, path.Segments.Length, out value);
            }

            if (!found) continue;
            if (!Coercion.TryFromJson(value, _columns[i].Type, out values[i], out var error))
            {
                target.Error($"Column {_columns[i].Name} ({path.Text}): {error}");
                return;
            }
        }

        target.Row(values);
    }

    private void MapCsv(string text, IMappedRows target)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = text.IndexOf(_rowDelimiter, start, StringComparison.Ordinal);
            if (end < 0) end = text.Length;
            var line = text.AsSpan(start, end - start);
            start = end + _rowDelimiter.Length;
            if (line.IsEmpty || (line.Length == 1 && line[0] == '\r')) continue;
            MapCsvRow(line, target);
        }
    }

    private void MapCsvRow(ReadOnlySpan<char> line, IMappedRows target)
    {
        var values = new object?[_columns.Length];
        var column = 0;
        var rest = line;
        while (column < _columns.Length)
        {
            var at = rest.IndexOf(_columnDelimiter, StringComparison.Ordinal);
            var field = at < 0 ? rest : rest[..at];

            // An empty field is NULL for every type but text.
            if (field.IsEmpty && _columns[column].Type.Kind is not (SqlTypeKind.Char or SqlTypeKind.Varchar))
            {
                values[column] = null;
            }
            else if (!Coercion.TryFromText(field.ToString(), _columns[column].Type, out values[column], out var error))
            {
                target.Error($"Column {_columns[column].Name} (field {column + 1}): {error}");
                return;
            }

            column++;
            if (at < 0) break;
            rest = rest[(at + _columnDelimiter.Length)..];
        }

        target.Row(values);
    }
}
