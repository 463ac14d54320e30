using System.Globalization;
using System.Text.Json;

namespace Sluice.Firehose.Delivery;

/// <summary>
/// The subset of jq that Sluice supports in MetadataExtractionQuery: an object of keys to paths,
/// <c>{k: .a, k2: .b.c}</c> (keys may be quoted), or a single path <c>.a</c> / <c>.a.b</c> (the key is the last name).
/// Values must be strings or numbers. Anything else is rejected when the query is parsed.
/// </summary>
public sealed class JqQuery
{
    private readonly (string Key, string[] Path)[] _fields;

    private JqQuery((string, string[])[] fields) => _fields = fields;

    public static JqQuery Parse(string query)
    {
        var text = query.Trim();
        if (text.StartsWith('.')) return new JqQuery([(LastName(text, query), ParsePath(text, query))]);
        if (!text.StartsWith('{') || !text.EndsWith('}')) throw Unsupported(query);
        var fields = new List<(string, string[])>();
        foreach (var part in text[1..^1].Split(','))
        {
            var colon = part.IndexOf(':');
            if (colon < 0) throw Unsupported(query);
            var key = part[..colon].Trim().Trim('"');
            if (key.Length == 0) throw Unsupported(query);
            fields.Add((key, ParsePath(part[(colon + 1)..].Trim(), query)));
        }

        if (fields.Count is 0 or > 50) throw new FormatException($"MetadataExtractionQuery '{query}' must produce 1 to 50 keys.");
        return new JqQuery([.. fields]);
    }

    /// <summary>The keys of one JSON record; false when it is not JSON or a path is missing or not a string/number.</summary>
    public bool TryEvaluate(ReadOnlyMemory<byte> json, out Dictionary<string, string> keys, out string error)
    {
        keys = new Dictionary<string, string>(_fields.Length, StringComparer.Ordinal);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            error = "Record is not JSON: " + e.Message;
            return false;
        }

        using (document)
        {
            foreach (var (key, path) in _fields)
            {
                var node = document.RootElement;
                foreach (var name in path)
                {
                    if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty(name, out node))
                    {
                        error = $"Path .{string.Join('.', path)} for key '{key}' is missing.";
                        return false;
                    }
                }

                switch (node.ValueKind)
                {
                    case JsonValueKind.String:
                        keys[key] = node.GetString()!;
                        break;
                    case JsonValueKind.Number:
                        keys[key] = node.GetRawText();
                        break;
                    default:
                        error = $"Path .{string.Join('.', path)} for key '{key}' is {node.ValueKind.ToString().ToLower(CultureInfo.InvariantCulture)}, not a string or number.";
                        return false;
                }
            }
        }

        error = "";
        return true;
    }

    private static string[] ParsePath(string text, string query)
    {
        if (!text.StartsWith('.') || text.Length < 2) throw Unsupported(query);
        var names = text[1..].Split('.');
        foreach (var name in names)
        {
            if (name.Length == 0) throw Unsupported(query);
            foreach (var c in name)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '_') throw Unsupported(query);
            }
        }

        return names;
    }

    private static string LastName(string text, string query)
    {
        var path = ParsePath(text, query);
        return path[^1];
    }

    private static FormatException Unsupported(string query) =>
        new($"MetadataExtractionQuery '{query}' is outside the supported jq subset: {{key: .path, key2: .a.b}} or .a.b with string or number values.");
}
