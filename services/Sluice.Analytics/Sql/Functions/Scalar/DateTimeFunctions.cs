namespace Sluice.Analytics.Sql.Functions.Scalar;

/// <summary>Units of EXTRACT, FLOOR(ts TO unit) and CEIL(ts TO unit).</summary>
public enum TimeUnit
{
    Millisecond,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// <summary>
/// Date/time functions over UTC <see cref="DateTime"/> (DATE, TIMESTAMP), <see cref="TimeSpan"/> (TIME, INTERVAL DAY TO
/// SECOND) and int months (INTERVAL YEAR TO MONTH). Keyword syntax maps onto plain methods: <c>EXTRACT(unit FROM x)</c> →
/// <see cref="Extract(TimeUnit, DateTime?)"/> and its overloads, <c>FLOOR/CEIL(ts TO unit)</c> → <see cref="FloorTo"/> /
/// <see cref="CeilTo"/>, <c>STEP(ts BY interval)</c> → <see cref="Step(DateTime?, TimeSpan?)"/> / <see cref="StepMonths"/>.
/// The conversion functions take the Java SimpleDateFormat pattern first (see <see cref="JavaDateFormat"/>).
/// </summary>
public static class DateTimeFunctions
{
    private static readonly DateTime Epoch = DateTime.UnixEpoch;

    /// <summary>TSDIFF(startTime, endTime) = endTime − startTime in milliseconds (epoch-millisecond BIGINTs).</summary>
    [SqlFunction("TSDIFF")]
    public static long? Tsdiff(long? startTime, long? endTime) => startTime is { } s && endTime is { } e ? e - s : null;

    /// <summary>TSDIFF over TIMESTAMPs: endTime − startTime in milliseconds.</summary>
    [SqlFunction("TSDIFF")]
    public static long? Tsdiff(DateTime? startTime, DateTime? endTime) => Tsdiff(UnixTimestamp(startTime), UnixTimestamp(endTime));

    /// <summary>UNIX_TIMESTAMP(ts): milliseconds since 1970-01-01T00:00:00Z (negative before it).</summary>
    [SqlFunction("UNIX_TIMESTAMP")]
    public static long? UnixTimestamp(DateTime? ts) => ts is { } t ? (long)Math.Floor((t - Epoch).TotalMilliseconds) : null;

    /// <summary>TO_TIMESTAMP(epochMillis) → TIMESTAMP (UTC).</summary>
    [SqlFunction("TO_TIMESTAMP")]
    public static DateTime? ToTimestamp(long? epochMillis)
    {
        if (epochMillis is not { } ms)
        {
            return null;
        }

        try
        {
            return DateTime.SpecifyKind(Epoch.AddMilliseconds(ms), DateTimeKind.Utc);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new SqlFunctionException($"TO_TIMESTAMP argument {ms} is outside the TIMESTAMP range");
        }
    }

    /// <summary>CHAR_TO_TIMESTAMP(format, s); an unparsable string is an error row.</summary>
    [SqlFunction("CHAR_TO_TIMESTAMP")]
    public static DateTime? CharToTimestamp(string? format, string? s) =>
        format is null || s is null ? null : JavaDateFormat.Get(format).Parse(s);

    /// <summary>CHAR_TO_DATE(format, s): the date part only.</summary>
    [SqlFunction("CHAR_TO_DATE")]
    public static DateTime? CharToDate(string? format, string? s) => CharToTimestamp(format, s)?.Date;

    /// <summary>CHAR_TO_TIME(format, s): the time of day.</summary>
    [SqlFunction("CHAR_TO_TIME")]
    public static TimeSpan? CharToTime(string? format, string? s) => CharToTimestamp(format, s)?.TimeOfDay;

    /// <summary>TIMESTAMP_TO_CHAR(format, ts); a NULL timestamp formats as the string 'null' (documented KDA behaviour), a NULL format gives NULL.</summary>
    [SqlFunction("TIMESTAMP_TO_CHAR")]
    public static string? TimestampToChar(string? format, DateTime? ts) =>
        format is null ? null : ts is { } t ? JavaDateFormat.Get(format).Format(t) : "null";

    [SqlFunction("DATE_TO_CHAR")]
    public static string? DateToChar(string? format, DateTime? date) => TimestampToChar(format, date?.Date);

    /// <summary>TIME_TO_CHAR(format, t): the time formatted on 1970-01-01.</summary>
    [SqlFunction("TIME_TO_CHAR")]
    public static string? TimeToChar(string? format, TimeSpan? time) => TimestampToChar(format, time is { } t ? Epoch.Add(t) : null);

    /// <summary>EXTRACT(unit FROM ts): the field of the timestamp (WEEK is ISO-8601 week number, QUARTER 1–4, MILLISECOND 0–59999 as in SQL's SECOND*1000).</summary>
    public static long? Extract(TimeUnit unit, DateTime? ts)
    {
        if (ts is not { } t)
        {
            return null;
        }

        return unit switch
        {
            TimeUnit.Year => t.Year,
            TimeUnit.Quarter => ((t.Month - 1) / 3) + 1,
            TimeUnit.Month => t.Month,
            TimeUnit.Week => System.Globalization.ISOWeek.GetWeekOfYear(t),
            TimeUnit.Day => t.Day,
            TimeUnit.Hour => t.Hour,
            TimeUnit.Minute => t.Minute,
            TimeUnit.Second => t.Second,
            TimeUnit.Millisecond => (t.Second * 1000) + t.Millisecond,
            _ => throw new ArgumentOutOfRangeException(nameof(unit)),
        };
    }

    /// <summary>EXTRACT(unit FROM interval day to second): DAY is whole days, HOUR 0–23, MINUTE 0–59, SECOND 0–59 (all signed like the interval).</summary>
    public static long? Extract(TimeUnit unit, TimeSpan? interval)
    {
        if (interval is not { } i)
        {
            return null;
        }

        return unit switch
        {
            TimeUnit.Day => i.Days,
            TimeUnit.Hour => i.Hours,
            TimeUnit.Minute => i.Minutes,
            TimeUnit.Second => i.Seconds,
            TimeUnit.Millisecond => (i.Seconds * 1000) + i.Milliseconds,
            _ => throw new SqlFunctionException($"EXTRACT({unit.ToString().ToUpperInvariant()} FROM a day-to-second interval) is not defined; use DAY, HOUR, MINUTE or SECOND"),
        };
    }

    /// <summary>EXTRACT(YEAR|MONTH FROM interval year to month), the interval given in months.</summary>
    public static long? ExtractMonths(TimeUnit unit, int? months) => months is { } m
        ? unit switch
        {
            TimeUnit.Year => m / 12,
            TimeUnit.Month => m % 12,
            _ => throw new SqlFunctionException($"EXTRACT({unit.ToString().ToUpperInvariant()} FROM a year-to-month interval) is not defined; use YEAR or MONTH"),
        }
        : null;

    /// <summary>FLOOR(ts TO unit): the start of the unit containing ts (weeks start on Monday, ISO-8601).</summary>
    public static DateTime? FloorTo(DateTime? ts, TimeUnit unit)
    {
        if (ts is not { } t)
        {
            return null;
        }

        return unit switch
        {
            TimeUnit.Millisecond => Truncate(t, TimeSpan.TicksPerMillisecond),
            TimeUnit.Second => Truncate(t, TimeSpan.TicksPerSecond),
            TimeUnit.Minute => Truncate(t, TimeSpan.TicksPerMinute),
            TimeUnit.Hour => Truncate(t, TimeSpan.TicksPerHour),
            TimeUnit.Day => Truncate(t, TimeSpan.TicksPerDay),
            TimeUnit.Week => Truncate(t, TimeSpan.TicksPerDay).AddDays(-(((int)t.DayOfWeek + 6) % 7)),
            TimeUnit.Month => new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc),
            TimeUnit.Quarter => new DateTime(t.Year, (((t.Month - 1) / 3) * 3) + 1, 1, 0, 0, 0, DateTimeKind.Utc),
            TimeUnit.Year => new DateTime(t.Year, 1, 1, 0, 0, 0, DateTimeKind.Utc),
            _ => throw new ArgumentOutOfRangeException(nameof(unit)),
        };
    }

    /// <summary>CEIL(ts TO unit): ts itself when already on a unit boundary, else the start of the next unit.</summary>
    public static DateTime? CeilTo(DateTime? ts, TimeUnit unit)
    {
        if (FloorTo(ts, unit) is not { } f)
        {
            return null;
        }

        if (f == ts!.Value)
        {
            return f;
        }

        return unit switch
        {
            TimeUnit.Millisecond => f.AddMilliseconds(1),
            TimeUnit.Second => f.AddSeconds(1),
            TimeUnit.Minute => f.AddMinutes(1),
            TimeUnit.Hour => f.AddHours(1),
            TimeUnit.Day => f.AddDays(1),
            TimeUnit.Week => f.AddDays(7),
            TimeUnit.Month => f.AddMonths(1),
            TimeUnit.Quarter => f.AddMonths(3),
            _ => f.AddYears(1),
        };
    }

    /// <summary>STEP(ts BY interval): ts rounded down to a multiple of the interval counted from the epoch; the interval must be positive.</summary>
    [SqlFunction("STEP")]
    public static DateTime? Step(DateTime? ts, TimeSpan? interval)
    {
        if (ts is not { } t || interval is not { } i)
        {
            return null;
        }

        if (i <= TimeSpan.Zero)
        {
            throw new SqlFunctionException($"STEP interval must be greater than 0, got {i}");
        }

        var ticks = t.Ticks - Epoch.Ticks;
        var r = ticks % i.Ticks;
        if (r < 0)
        {
            r += i.Ticks;
        }

        return new DateTime(t.Ticks - r, DateTimeKind.Utc);
    }

    /// <summary>STEP(ts BY INTERVAL 'n' MONTH|YEAR): the start of the n-month bucket counted from January 1970.</summary>
    public static DateTime? StepMonths(DateTime? ts, int? months)
    {
        if (ts is not { } t || months is not { } m)
        {
            return null;
        }

        if (m <= 0)
        {
            throw new SqlFunctionException($"STEP interval must be greater than 0, got {m} months");
        }

        var since = ((t.Year - 1970) * 12) + t.Month - 1;
        var bucket = since - (((since % m) + m) % m);
        return new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(bucket);
    }

    /// <summary>STEP(time BY interval) for TIME values.</summary>
    [SqlFunction("STEP")]
    public static TimeSpan? Step(TimeSpan? time, TimeSpan? interval) =>
        Step(time is { } t ? Epoch.Add(t) : null, interval) is { } r ? r - Epoch : null;

    private static DateTime Truncate(DateTime t, long unitTicks) => new(t.Ticks - (t.Ticks % unitTicks), DateTimeKind.Utc);
}
