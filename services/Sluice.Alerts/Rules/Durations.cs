using System.Globalization;
using System.Xml;

namespace Sluice.Alerts.Rules;

/// <summary>Durations as rules write them: 500ms, 30s, 10m, 1h, 2d, or ISO 8601 (PT10M).</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (text.StartsWith('P'))
        {
            try
            {
                value = XmlConvert.ToTimeSpan(text);
                return value >= TimeSpan.Zero;
            }
            catch (FormatException)
            {
                return false;
            }
        }

        var unitStart = 0;
        while (unitStart < text.Length && (char.IsDigit(text[unitStart]) || text[unitStart] == '.')) unitStart++;
        if (unitStart == 0 || !double.TryParse(text.AsSpan(0, unitStart), NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) return false;
        double? ms = text[unitStart..] switch
        {
            "ms" => n,
            "s" => n * 1000,
            "m" => n * 60_000,
            "h" => n * 3_600_000,
            "d" => n * 86_400_000,
            _ => null,
        };
        if (ms is null) return false;
        value = TimeSpan.FromMilliseconds(ms.Value);
        return true;
    }
}
