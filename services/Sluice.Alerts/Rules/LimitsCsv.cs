using System.Globalization;

namespace Sluice.Alerts.Rules;

/// <summary>Limits tables as CSV: <c>key,limit</c> per line, an optional header, # comments.</summary>
public static class LimitsCsv
{
    public static Dictionary<string, double> Parse(string text)
    {
        var limits = new Dictionary<string, double>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var comma = line.LastIndexOf(',');
            if (comma <= 0) throw new RuleException($"line {i + 1}", $"must be key,limit, got '{line}'");
            var key = line[..comma].Trim().Trim('"');
            var value = line[(comma + 1)..].Trim().Trim('"');
            if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var limit))
            {
                if (limits.Count == 0 && i == FirstDataLine(lines)) continue; // a header row
                throw new RuleException($"line {i + 1}", $"limit must be a number, got '{value}'");
            }

            limits[key] = limit;
        }

        return limits;
    }

    private static int FirstDataLine(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length > 0 && !line.StartsWith('#')) return i;
        }

        return -1;
    }
}
