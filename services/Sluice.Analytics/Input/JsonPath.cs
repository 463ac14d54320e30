using System.Text;
using System.Text.Json;

namespace Sluice.Analytics.Input;

/// <summary>
/// The JSONPath subset KDA mappings use: <c>$</c>, <c>$.a.b</c>, <c>$['my key']</c>, <c>$.arr[2]</c> and the array
/// wildcard <c>$.arr[0:]</c> (also <c>[*]</c>) that flattens an array into one row per element.
/// </summary>
public sealed class JsonPath
{
    private JsonPath(string text, Segment[] segments)
    {
        Text = text;
        Segments = segments;
    }

    /// <summary>One step: a property name, an array index, or (both null) the array wildcard.</summary>
    public readonly record struct Segment(string? Property, int? Index)
    {
        public bool IsWildcard => Property is null && Index is null;
    }

    public string Text { get; }

    public Segment[] Segments { get; }

    /// <summary>Position of the first array wildcard, or -1.</summary>
    public int WildcardAt => Array.FindIndex(Segments, s => s.IsWildcard);

    public static bool TryParse(string text, out JsonPath? path, out string? error)
    {
        path = null;
        error = null;
        if (!text.StartsWith('$'))
        {
            error = "a path must start with '$'.";
            return false;
        }

        var segments = new List<Segment>();
        var i = 1;
        while (i < text.Length)
        {
            if (text[i] == '.')
            {
                var start = ++i;
                while (i < text.Length && text[i] != '.' && text[i] != '[') i++;
                if (i == start)
                {
                    error = $"empty property name at position {start}.";
                    return false;
                }

                segments.Add(new Segment(text[start..i], null));
            }
            else if (text[i] == '[')
            {
                var close = text.IndexOf(']', i);
                if (close < 0)
                {
                    error = $"unclosed '[' at position {i}.";
                    return false;
                }

                var inner = text[(i + 1)..close].Trim();
                if (inner is "0:" or "*" or ":")
                {
                    segments.Add(new Segment(null, null));
                }
                else if (inner.Length >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[^1] == inner[0])
                {
                    segments.Add(new Segment(inner[1..^1], null));
                }
                else if (int.TryParse(inner, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
                {
                    segments.Add(new Segment(null, index));
                }
                else
                {
                    error = $"unsupported selector '[{inner}]' (use a name, an index or [0:]).";
                    return false;
                }

                i = close + 1;
            }
            else
            {
                error = $"unexpected '{text[i]}' at position {i}.";
                return false;
            }
        }

        path = new JsonPath(text, [.. segments]);
        return true;
    }

    public static JsonPath Parse(string text) =>
        TryParse(text, out var path, out var error) ? path! : throw new FormatException($"JSONPath '{text}': {error}");

    /// <summary>Follows segments [from, to) from <paramref name="element"/>; false when something is missing.</summary>
    public bool TryEvaluate(JsonElement element, int from, int to, out JsonElement result)
    {
        result = element;
        for (var i = from; i < to; i++)
        {
            var s = Segments[i];
            if (s.Property is { } name)
            {
                if (result.ValueKind != JsonValueKind.Object || !result.TryGetProperty(name, out result)) return false;
            }
            else if (s.Index is { } index)
            {
                if (result.ValueKind != JsonValueKind.Array || index >= result.GetArrayLength()) return false;
                result = result[index];
            }
            else if (result.ValueKind != JsonValueKind.Array)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when this path starts with the segments of <paramref name="prefix"/>.</summary>
    public bool StartsWith(JsonPath prefix, int prefixLength)
    {
        if (Segments.Length < prefixLength) return false;
        for (var i = 0; i < prefixLength; i++)
        {
            if (Segments[i] != prefix.Segments[i]) return false;
        }

        return true;
    }

    /// <summary>The JSONPath text of a property path (bracket notation where a name needs it), for discovery.</summary>
    public static string Of(IEnumerable<string> properties)
    {
        var sb = new StringBuilder("$");
        foreach (var p in properties)
        {
            var plain = p.Length > 0;
            foreach (var c in p)
            {
                if (!char.IsLetterOrDigit(c) && c != '_') plain = false;
            }

            if (plain) sb.Append('.').Append(p);
            else sb.Append("['").Append(p).Append("']");
        }

        return sb.ToString();
    }
}
