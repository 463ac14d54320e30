using System.Globalization;

namespace Sluice.Analytics.Sql.Execution;

/// <summary>The operators of the dialect over nullable CLR values (NULL in, NULL out); compiled expressions call these.</summary>
internal static class ScalarOps
{
    public const int Eq = 0, Ne = 1, Lt = 2, Le = 3, Gt = 4, Ge = 5;

    public static long? Add(long? a, long? b) => a + b;

    public static long? Subtract(long? a, long? b) => a - b;

    public static long? Multiply(long? a, long? b) => a * b;

    public static long? Divide(long? a, long? b) => b == 0 ? throw DivisionByZero() : a / b;

    public static long? Modulo(long? a, long? b) => b == 0 ? throw DivisionByZero() : a % b;

    public static long? Negate(long? a) => -a;

    public static decimal? Add(decimal? a, decimal? b) => a + b;

    public static decimal? Subtract(decimal? a, decimal? b) => a - b;

    public static decimal? Multiply(decimal? a, decimal? b) => a * b;

    public static decimal? Divide(decimal? a, decimal? b) => b == 0m ? throw DivisionByZero() : a / b;

    public static decimal? Modulo(decimal? a, decimal? b) => b == 0m ? throw DivisionByZero() : a % b;

    public static decimal? Negate(decimal? a) => -a;

    public static double? Add(double? a, double? b) => a + b;

    public static double? Subtract(double? a, double? b) => a - b;

    public static double? Multiply(double? a, double? b) => a * b;

    public static double? Divide(double? a, double? b) => b == 0d ? throw DivisionByZero() : a / b;

    public static double? Modulo(double? a, double? b) => b == 0d ? throw DivisionByZero() : a % b;

    public static double? Negate(double? a) => -a;

    public static TimeSpan? Negate(TimeSpan? a) => -a;

    public static DateTime? Add(DateTime? a, TimeSpan? b) => a + b;

    public static DateTime? Subtract(DateTime? a, TimeSpan? b) => a - b;

    public static DateTime? Add(DateTime? a, int? months) => a is null || months is null ? null : a.Value.AddMonths(months.Value);

    public static DateTime? Subtract(DateTime? a, int? months) => a is null || months is null ? null : a.Value.AddMonths(-months.Value);

    public static TimeSpan? Subtract(DateTime? a, DateTime? b) => a - b;

    public static TimeSpan? Add(TimeSpan? a, TimeSpan? b) => a + b;

    public static TimeSpan? Subtract(TimeSpan? a, TimeSpan? b) => a - b;

    public static TimeSpan? Multiply(TimeSpan? a, long? b) => a is null || b is null ? null : a.Value * b.Value;

    public static string? Concat(string? a, string? b) => a is null || b is null ? null : string.Concat(a, b);

    public static bool? Compare(long? a, long? b, int op) => a is null || b is null ? null : Test(a.Value.CompareTo(b.Value), op);

    public static bool? Compare(decimal? a, decimal? b, int op) => a is null || b is null ? null : Test(a.Value.CompareTo(b.Value), op);

    public static bool? Compare(double? a, double? b, int op) => a is null || b is null ? null : Test(a.Value.CompareTo(b.Value), op);

    public static bool? Compare(DateTime? a, DateTime? b, int op) => a is null || b is null ? null : Test(a.Value.CompareTo(b.Value), op);

    public static bool? Compare(TimeSpan? a, TimeSpan? b, int op) => a is null || b is null ? null : Test(a.Value.CompareTo(b.Value), op);

    public static bool? Compare(int? a, int? b, int op) => a is null || b is null ? null : Test(a.Value.CompareTo(b.Value), op);

    public static bool? Compare(bool? a, bool? b, int op) => a is null || b is null ? null : Test(a.Value.CompareTo(b.Value), op);

    public static bool? Compare(string? a, string? b, int op) => a is null || b is null ? null : Test(string.CompareOrdinal(a, b), op);

    private static bool Test(int c, int op) => op switch
    {
        Eq => c == 0,
        Ne => c != 0,
        Lt => c < 0,
        Le => c <= 0,
        Gt => c > 0,
        _ => c >= 0,
    };

    public static bool? And(bool? a, bool? b) => a == false || b == false ? false : a is null || b is null ? null : true;

    public static bool? Or(bool? a, bool? b) => a == true || b == true ? true : a is null || b is null ? null : false;

    public static bool? Not(bool? a) => !a;

    public static bool IsDistinct(object? a, object? b) => a is null ? b is not null : b is null || !ValueEquals(a, b);

    public static bool ValueEquals(object a, object b) => a.Equals(b) || (a is IComparable ca && a.GetType() == b.GetType() && ca.CompareTo(b) == 0);

    public static long? Extract(string unit, DateTime? value) => value is not { } t ? null : unit switch
    {
        "YEAR" => t.Year,
        "MONTH" => t.Month,
        "DAY" => t.Day,
        "HOUR" => t.Hour,
        "MINUTE" => t.Minute,
        "SECOND" => t.Second,
        "MILLISECOND" => t.Millisecond,
        "QUARTER" => ((t.Month - 1) / 3) + 1,
        "WEEK" => ISOWeek.GetWeekOfYear(t),
        _ => throw new SqlRuntimeException("EXTRACT", $"Cannot extract {unit} from a timestamp"),
    };

    public static long? Extract(string unit, TimeSpan? value) => value is not { } s ? null : unit switch
    {
        "DAY" => s.Days,
        "HOUR" => s.Hours,
        "MINUTE" => s.Minutes,
        "SECOND" => s.Seconds,
        "MILLISECOND" => s.Milliseconds,
        _ => throw new SqlRuntimeException("EXTRACT", $"Cannot extract {unit} from a day-time interval"),
    };

    public static DateTime? FloorTo(DateTime? value, string unit) => value is not { } t ? null : unit switch
    {
        "YEAR" => new DateTime(t.Year, 1, 1, 0, 0, 0, DateTimeKind.Utc),
        "MONTH" => new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc),
        _ => new DateTime(t.Ticks - (t.Ticks % UnitTicks(unit)), DateTimeKind.Utc),
    };

    public static DateTime? CeilTo(DateTime? value, string unit)
    {
        var floor = FloorTo(value, unit);
        return floor is null || floor == value ? floor : NextUnit(floor.Value, unit);
    }

    public static DateTime NextUnit(DateTime floor, string unit) => unit switch
    {
        "YEAR" => floor.AddYears(1),
        "MONTH" => floor.AddMonths(1),
        _ => floor.AddTicks(UnitTicks(unit)),
    };

    public static long UnitTicks(string unit) => unit switch
    {
        "WEEK" => TimeSpan.TicksPerDay * 7,
        "DAY" => TimeSpan.TicksPerDay,
        "HOUR" => TimeSpan.TicksPerHour,
        "MINUTE" => TimeSpan.TicksPerMinute,
        "SECOND" => TimeSpan.TicksPerSecond,
        "MILLISECOND" => TimeSpan.TicksPerMillisecond,
        _ => throw new SqlRuntimeException("FLOOR", $"Unsupported unit {unit}"),
    };

    public static DateTime? Step(DateTime? value, TimeSpan? interval)
    {
        if (value is not { } t || interval is not { } i)
        {
            return null;
        }

        long ticks = t.Ticks - DateTime.UnixEpoch.Ticks;
        long size = i.Ticks;
        long floor = ticks >= 0 ? ticks - (ticks % size) : ticks - (((ticks % size) + size) % size);
        return new DateTime(DateTime.UnixEpoch.Ticks + floor, DateTimeKind.Utc);
    }

    public static long? Step(long? value, long? by) => value is null || by is null ? null : value - (((value % by) + by) % by);

    public static double? Step(double? value, double? by) => value is null || by is null ? null : Math.Floor(value.Value / by.Value) * by.Value;

    public static decimal? Step(decimal? value, decimal? by) => value is null || by is null ? null : Math.Floor(value.Value / by.Value) * by.Value;

    /// <summary>(ts1 - ts2) unit: the interval truncated to the unit.</summary>
    public static TimeSpan? IntervalOf(TimeSpan? value, string unit) => value is not { } s ? null : unit is "YEAR" or "MONTH" ? s : new TimeSpan(s.Ticks - (s.Ticks % UnitTicks(unit)));

    public static Exception DivisionByZero() => new SqlRuntimeException("DIVISION_BY_ZERO", "Division by zero");

    public static object? Cast(object? value, SqlType type)
    {
        if (value is null)
        {
            return null;
        }

        try
        {
            return CastCore(value, type);
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidCastException)
        {
            throw new SqlRuntimeException("CAST", $"Cannot cast {value} to {type.Kind}");
        }
    }

    private static object? CastCore(object value, SqlType type)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (type.Kind)
        {
            case SqlTypeKind.Boolean:
                return value is string bs ? bs.Trim().ToUpperInvariant() switch
                {
                    "TRUE" => true,
                    "FALSE" => false,
                    _ => throw new FormatException(),
                } : Convert.ToBoolean(value, inv);
            case SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Integer or SqlTypeKind.BigInt:
            {
                long l = value switch
                {
                    string ls => long.Parse(ls.Trim(), NumberStyles.Integer, inv),
                    double d => checked((long)Math.Round(d, MidpointRounding.AwayFromZero)),
                    decimal m => (long)Math.Round(m, MidpointRounding.AwayFromZero),
                    _ => Convert.ToInt64(value, inv),
                };
                long max = type.Kind switch { SqlTypeKind.TinyInt => sbyte.MaxValue, SqlTypeKind.SmallInt => short.MaxValue, SqlTypeKind.Integer => int.MaxValue, _ => long.MaxValue };
                return l > max || l < -max - 1 ? throw new OverflowException() : l;
            }

            case SqlTypeKind.Real or SqlTypeKind.Double:
                return value is string s2 ? double.Parse(s2.Trim(), NumberStyles.Float, inv) : Convert.ToDouble(value, inv);
            case SqlTypeKind.Decimal:
            {
                decimal m = value is string ms ? decimal.Parse(ms.Trim(), NumberStyles.Float, inv) : Convert.ToDecimal(value, inv);
                return type.Scale >= 0 && type.Precision > 0 ? Math.Round(m, type.Scale, MidpointRounding.AwayFromZero) : m;
            }

            case SqlTypeKind.Char or SqlTypeKind.Varchar:
            {
                string s = value switch
                {
                    DateTime t => t.ToString("yyyy-MM-dd HH:mm:ss.fff", inv),
                    bool b => b ? "TRUE" : "FALSE",
                    IFormattable f => f.ToString(null, inv),
                    _ => value.ToString() ?? "",
                };
                return type.Length > 0 && s.Length > type.Length ? s[..type.Length] : s;
            }

            case SqlTypeKind.Date:
                return value is string ds ? DateTime.SpecifyKind(DateTime.ParseExact(ds.Trim(), "yyyy-MM-dd", inv), DateTimeKind.Utc) : ((DateTime)value).Date;
            case SqlTypeKind.Timestamp:
                return value switch
                {
                    string ts => DateTime.SpecifyKind(DateTime.Parse(ts.Trim(), inv, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), DateTimeKind.Utc),
                    DateTime t => t,
                    _ => throw new InvalidCastException(),
                };
            case SqlTypeKind.Time:
                return value switch
                {
                    string ts => TimeSpan.Parse(ts.Trim(), inv),
                    DateTime t => t.TimeOfDay,
                    TimeSpan t => t,
                    _ => throw new InvalidCastException(),
                };
            case SqlTypeKind.Binary or SqlTypeKind.Varbinary:
                return value is string hex ? Convert.FromHexString(hex) : (byte[])value;
            default:
                return value;
        }
    }
}
