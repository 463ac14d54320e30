using System.Globalization;

namespace Sluice.Alerts.Rules;

/// <summary>The reset period of an accumulating rule: calendar hour/day/week/month (UTC) or a fixed duration.</summary>
public sealed class Period
{
    private readonly string _unit;
    private readonly long _ms;

    // Most records fall in the period of the previous one: reuse its label instead of formatting one per record.
    private volatile Cached? _last;

    private sealed record Cached(long StartMs, long EndMs, string Label);

    private Period(string unit, long ms)
    {
        _unit = unit;
        _ms = ms;
    }

    public static Period? Parse(string text)
    {
        return text switch
        {
            "hour" or "hourly" => new Period("hour", 0),
            "day" or "daily" => new Period("day", 0),
            "week" or "weekly" => new Period("week", 0),
            "month" or "monthly" => new Period("month", 0),
            _ => Durations.TryParse(text, out var d) && d.TotalMilliseconds >= 1 ? new Period("fixed", (long)d.TotalMilliseconds) : null,
        };
    }

    /// <summary>The period holding <paramref name="atMs"/>: its label (the period's start) and end (Unix ms).</summary>
    public (string Label, long EndMs) Of(long atMs)
    {
        if (_last is { } last && atMs >= last.StartMs && atMs < last.EndMs) return (last.Label, last.EndMs);
        var (label, startMs, endMs) = Compute(atMs);
        _last = new Cached(startMs, endMs, label);
        return (label, endMs);
    }

    private (string Label, long StartMs, long EndMs) Compute(long atMs)
    {
        var t = DateTimeOffset.FromUnixTimeMilliseconds(atMs);
        DateTimeOffset start, end;
        switch (_unit)
        {
            case "hour":
                start = new DateTimeOffset(t.Year, t.Month, t.Day, t.Hour, 0, 0, TimeSpan.Zero);
                end = start.AddHours(1);
                return (start.ToString("yyyy-MM-ddTHH", CultureInfo.InvariantCulture), start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds());
            case "day":
                start = new DateTimeOffset(t.Year, t.Month, t.Day, 0, 0, 0, TimeSpan.Zero);
                return (start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), start.ToUnixTimeMilliseconds(), start.AddDays(1).ToUnixTimeMilliseconds());
            case "week":
                start = new DateTimeOffset(t.Year, t.Month, t.Day, 0, 0, 0, TimeSpan.Zero).AddDays(-(((int)t.DayOfWeek + 6) % 7));
                return ("week-" + start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), start.ToUnixTimeMilliseconds(), start.AddDays(7).ToUnixTimeMilliseconds());
            case "month":
                start = new DateTimeOffset(t.Year, t.Month, 1, 0, 0, 0, TimeSpan.Zero);
                return (start.ToString("yyyy-MM", CultureInfo.InvariantCulture), start.ToUnixTimeMilliseconds(), start.AddMonths(1).ToUnixTimeMilliseconds());
            default:
                var s = atMs - (((atMs % _ms) + _ms) % _ms);
                return (DateTimeOffset.FromUnixTimeMilliseconds(s).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture), s, s + _ms);
        }
    }
}
