using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Analytics.ReferenceData;
using Sluice.Hosting;
using Sluice.Streams.Client;
using Sluice.Streams.V1;

namespace Sluice.Analytics.Input;

/// <summary>
/// DiscoverInputSchema's inference: samples records (from a stream, an S3 object or given records), then proposes a
/// SourceSchema — JSON leaves as <c>$.path</c> columns, or CSV positional columns (a header row names them) — with
/// types picked from the values (integers by range, DOUBLE, BOOLEAN, TIMESTAMP, VARCHAR(n) in power-of-two buckets).
/// </summary>
public sealed class SchemaDiscovery(StreamsGrpcAddress streams, S3ObjectReader s3)
{
    public const int MaxSamples = 100;

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "TIMESTAMP", "USER", "VALUES", "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "ROWTIME", "DATE", "TIME", "SELECT", "FROM",
        "WHERE", "GROUP", "ORDER", "BY", "AND", "OR", "NOT", "NULL", "TRUE", "FALSE", "TABLE", "STREAM", "VALUE", "COUNT", "SUM", "MIN",
        "MAX", "AVG", "CAST", "CASE", "WHEN", "THEN", "ELSE", "END", "AS", "ON", "JOIN", "IN", "IS", "LIKE", "BETWEEN", "INTERVAL",
        "CURRENT", "CURRENT_TIMESTAMP", "CURRENT_DATE", "POSITION", "RANGE", "ROWS", "WINDOW", "PARTITION", "OVER", "STEP", "FLOOR",
        "CEIL", "INSERT", "INTO", "PUMP", "CREATE", "REPLACE", "LANGUAGE", "SYSTEM", "ALL", "ANY", "SOME", "EVERY", "FIRST", "LAST",
    };

    /// <summary>Up to <see cref="MaxSamples"/> records of a stream, oldest first.</summary>
    public async Task<List<byte[]>> SampleStreamAsync(string stream, CancellationToken ct)
    {
        using var client = new StreamsClient(streams.Resolve());
        var samples = new List<byte[]>();
        var shards = await client.ListShardsAsync(stream, ct);
        foreach (var shard in shards.Shards)
        {
            var response = await client.GetRecordsAsync(new GetRecordsRequest
            {
                StreamName = stream,
                ShardId = shard.ShardId,
                Position = new StartingPosition { Type = StartingPosition.Types.Type.TrimHorizon },
                Limit = MaxSamples,
            }, ct);
            foreach (var record in response.Records)
            {
                if (samples.Count < MaxSamples) samples.Add(record.Data.ToByteArray());
            }
        }

        return samples;
    }

    /// <summary>An S3 object's records: one per line (JSON lines or CSV rows).</summary>
    public async Task<List<byte[]>> SampleObjectAsync(string bucket, string key, CancellationToken ct)
    {
        var text = Encoding.UTF8.GetString(await s3.ReadAsync(bucket, key, ct));
        var samples = new List<byte[]>();
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed.Length > 0 && samples.Count < MaxSamples) samples.Add(Encoding.UTF8.GetBytes(trimmed));
        }

        return samples;
    }

    /// <summary>The schema and the parsed rows, or null when nothing in the samples is recognisable.</summary>
    public static (JsonObject Schema, List<List<string?>> Parsed)? Infer(IReadOnlyList<string> records)
    {
        if (records.Count == 0) return null;
        return InferJson(records) ?? InferCsv(records);
    }

    private static (JsonObject, List<List<string?>>)? InferJson(IReadOnlyList<string> records)
    {
        var columns = new List<(string[] Path, ColumnGuess Guess)>();
        var rows = new List<Dictionary<string, string?>>();
        foreach (var record in records)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(record);
            }
            catch (JsonException)
            {
                return null;
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object) return null;
                var row = new Dictionary<string, string?>(StringComparer.Ordinal);
                Walk(document.RootElement, [], columns, row);
                rows.Add(row);
            }
        }

        if (columns.Count == 0) return null;
        var recordColumns = new JsonArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            var (path, guess) = columns[i];
            var name = Unique(ColumnName(path[^1], i), names);
            recordColumns.Add(new JsonObject { ["Name"] = name, ["SqlType"] = guess.SqlType, ["Mapping"] = JsonPath.Of(path) });
        }

        var parsed = new List<List<string?>>();
        foreach (var row in rows)
        {
            var values = new List<string?>(columns.Count);
            foreach (var (path, _) in columns) values.Add(row.GetValueOrDefault(string.Join('\u0001', path)));
            parsed.Add(values);
        }

        var schema = new JsonObject
        {
            ["RecordFormat"] = new JsonObject
            {
                ["RecordFormatType"] = "JSON",
                ["MappingParameters"] = new JsonObject { ["JSONMappingParameters"] = new JsonObject { ["RecordRowPath"] = "$" } },
            },
            ["RecordEncoding"] = "UTF-8",
            ["RecordColumns"] = recordColumns,
        };
        return (schema, parsed);
    }

    private static void Walk(JsonElement obj, string[] prefix, List<(string[] Path, ColumnGuess Guess)> columns, Dictionary<string, string?> row)
    {
        foreach (var property in obj.EnumerateObject())
        {
            string[] path = [.. prefix, property.Name];
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                Walk(property.Value, path, columns, row);
                continue;
            }

            var key = string.Join('\u0001', path);
            var at = columns.FindIndex(c => string.Join('\u0001', c.Path) == key);
            if (at < 0)
            {
                columns.Add((path, new ColumnGuess()));
                at = columns.Count - 1;
            }

            var value = property.Value;
            string? text = value.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String => value.GetString(),
                _ => value.GetRawText(),
            };
            columns[at].Guess.Add(text, value.ValueKind);
            row[key] = text;
        }
    }

    private static (JsonObject, List<List<string?>>)? InferCsv(IReadOnlyList<string> records)
    {
        var rowDelimiter = records.Any(r => r.Contains("\r\n", StringComparison.Ordinal)) ? "\r\n" : "\n";
        var lines = records.SelectMany(r => r.Split(rowDelimiter)).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) return null;
        string? delimiter = null;
        foreach (var candidate in (string[])[",", "|", "\t", ";"])
        {
            var counts = lines.Select(l => l.Split(candidate).Length).Distinct().ToList();
            if (counts.Count == 1 && counts[0] > 1)
            {
                delimiter = candidate;
                break;
            }
        }

        if (delimiter is null)
        {
            if (lines.All(l => l.Split(',').Length == 1)) delimiter = ",";
            else return null;
        }

        var fields = lines.Select(l => l.Split(delimiter)).ToList();
        var width = fields.Max(f => f.Length);
        var header = fields.Count > 1 && IsHeader(fields[0], fields.Skip(1).ToList());
        var guesses = Enumerable.Range(0, width).Select(_ => new ColumnGuess()).ToArray();
        foreach (var row in fields.Skip(header ? 1 : 0))
        {
            for (var i = 0; i < width; i++) guesses[i].Add(i < row.Length ? row[i] : null, JsonValueKind.String);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var recordColumns = new JsonArray();
        for (var i = 0; i < width; i++)
        {
            var name = header && i < fields[0].Length ? ColumnName(fields[0][i], i) : "COL" + (i + 1);
            recordColumns.Add(new JsonObject { ["Name"] = Unique(name, names), ["SqlType"] = guesses[i].SqlType });
        }

        var parsed = new List<List<string?>>();
        for (var r = 0; r < fields.Count; r++)
        {
            var row = fields[r];
            var values = new List<string?>(width);
            for (var i = 0; i < width; i++) values.Add(header && r == 0 ? null : i < row.Length ? row[i] : null);
            parsed.Add(values);
        }

        var schema = new JsonObject
        {
            ["RecordFormat"] = new JsonObject
            {
                ["RecordFormatType"] = "CSV",
                ["MappingParameters"] = new JsonObject
                {
                    ["CSVMappingParameters"] = new JsonObject { ["RecordRowDelimiter"] = rowDelimiter, ["RecordColumnDelimiter"] = delimiter },
                },
            },
            ["RecordEncoding"] = "UTF-8",
            ["RecordColumns"] = recordColumns,
        };
        return (schema, parsed);
    }

    private static bool IsHeader(string[] first, List<string[]> rest)
    {
        // A header names columns whose other values are numbers or booleans, and holds none itself.
        var typedBelow = false;
        for (var i = 0; i < first.Length; i++)
        {
            if (double.TryParse(first[i], NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return false;
            if (rest.All(r => i < r.Length && double.TryParse(r[i], NumberStyles.Float, CultureInfo.InvariantCulture, out _))) typedBelow = true;
        }

        return typedBelow;
    }

    /// <summary>The source name, or COL_&lt;cleaned&gt; when it is reserved, starts with a digit, has other characters or is too long.</summary>
    public static string ColumnName(string source, int position)
    {
        var ok = source.Length is > 0 and <= 100 && !char.IsDigit(source[0]) && source.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') && !Reserved.Contains(source);
        if (ok) return source;
        var cleaned = new string(source.Where(c => char.IsAsciiLetterOrDigit(c) || c == '_').ToArray());
        if (cleaned.Length > 96) cleaned = cleaned[..96];
        return cleaned.Length == 0 ? "COL_" + position : "COL_" + cleaned;
    }

    private static string Unique(string name, HashSet<string> used)
    {
        var candidate = name;
        for (var n = 2; !used.Add(candidate); n++) candidate = name + "_" + n;
        return candidate;
    }

    private sealed class ColumnGuess
    {
        private bool _any;
        private bool _integer = true;
        private bool _number = true;
        private bool _boolean = true;
        private bool _timestamp = true;
        private bool _array;
        private long _min;
        private long _max;
        private int _maxLength;

        public void Add(string? text, JsonValueKind kind)
        {
            if (text is null) return;
            _any = true;
            _maxLength = Math.Max(_maxLength, text.Length);
            if (kind is JsonValueKind.Array or JsonValueKind.Object) _array = true;
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                _min = Math.Min(_min, l);
                _max = Math.Max(_max, l);
            }
            else
            {
                _integer = false;
            }

            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) _number = false;
            if (!text.Equals("true", StringComparison.OrdinalIgnoreCase) && !text.Equals("false", StringComparison.OrdinalIgnoreCase)) _boolean = false;
            if (text.Length < 10 || !Coercion.TryFromText(text, new Sql.SqlType(Sql.SqlTypeKind.Timestamp), out _, out _)) _timestamp = false;
        }

        public string SqlType
        {
            get
            {
                if (!_any) return "VARCHAR(4)";
                if (_array) return "VARCHAR(" + Bucket(_maxLength) + ")";
                if (_boolean) return "BOOLEAN";
                if (_integer)
                {
                    if (_min >= sbyte.MinValue && _max <= sbyte.MaxValue) return "TINYINT";
                    if (_min >= short.MinValue && _max <= short.MaxValue) return "SMALLINT";
                    if (_min >= int.MinValue && _max <= int.MaxValue) return "INTEGER";
                    return "BIGINT";
                }

                if (_number) return "DOUBLE";
                if (_timestamp) return "TIMESTAMP";
                return "VARCHAR(" + Bucket(_maxLength) + ")";
            }
        }

        private static int Bucket(int length)
        {
            var n = 4;
            while (n < length && n < 65535) n *= 2;
            return Math.Min(n, 65535);
        }
    }
}
