namespace Sluice.Analytics.Sql.Functions.Scalar;

/// <summary>Numeric scalar functions (ABS, CEIL, FLOOR, EXP, LN, LOG10, MOD, POWER, SQRT, STEP(n BY m)); NULL in gives NULL out.</summary>
public static class NumericFunctions
{
    [SqlFunction("ABS")]
    public static long? Abs(long? x) => x is { } v ? (v == long.MinValue ? throw new SqlFunctionException("ABS overflows BIGINT") : Math.Abs(v)) : null;

    [SqlFunction("ABS")]
    public static double? Abs(double? x) => x is { } v ? Math.Abs(v) : null;

    [SqlFunction("ABS")]
    public static decimal? Abs(decimal? x) => x is { } v ? Math.Abs(v) : null;

    [SqlFunction("CEIL")]
    [SqlFunction("CEILING")]
    public static long? Ceil(long? x) => x;

    [SqlFunction("CEIL")]
    [SqlFunction("CEILING")]
    public static double? Ceil(double? x) => x is { } v ? Math.Ceiling(v) : null;

    [SqlFunction("CEIL")]
    [SqlFunction("CEILING")]
    public static decimal? Ceil(decimal? x) => x is { } v ? Math.Ceiling(v) : null;

    [SqlFunction("FLOOR")]
    public static long? Floor(long? x) => x;

    [SqlFunction("FLOOR")]
    public static double? Floor(double? x) => x is { } v ? Math.Floor(v) : null;

    [SqlFunction("FLOOR")]
    public static decimal? Floor(decimal? x) => x is { } v ? Math.Floor(v) : null;

    [SqlFunction("EXP")]
    public static double? Exp(double? x) => x is { } v ? Math.Exp(v) : null;

    /// <summary>Natural logarithm; a non-positive argument is an error row (SQL), not NaN.</summary>
    [SqlFunction("LN")]
    public static double? Ln(double? x) => x is { } v ? (v > 0 ? Math.Log(v) : throw new SqlFunctionException($"LN argument must be greater than 0, got {v}")) : null;

    [SqlFunction("LOG10")]
    public static double? Log10(double? x) => x is { } v ? (v > 0 ? Math.Log10(v) : throw new SqlFunctionException($"LOG10 argument must be greater than 0, got {v}")) : null;

    [SqlFunction("SQRT")]
    public static double? Sqrt(double? x) => x is { } v ? (v >= 0 ? Math.Sqrt(v) : throw new SqlFunctionException($"SQRT argument must not be negative, got {v}")) : null;

    [SqlFunction("POWER")]
    public static double? Power(double? x, double? y) => x is { } a && y is { } b ? Math.Pow(a, b) : null;

    /// <summary>Remainder with the sign of the dividend (as Java's %); MOD(a, 0) is an error row.</summary>
    [SqlFunction("MOD")]
    public static long? Mod(long? a, long? b) =>
        a is { } x && b is { } y ? (y == 0 ? throw new SqlFunctionException("MOD divisor must not be 0") : (y == -1 ? 0 : x % y)) : null;

    [SqlFunction("MOD")]
    public static decimal? Mod(decimal? a, decimal? b) =>
        a is { } x && b is { } y ? (y == 0 ? throw new SqlFunctionException("MOD divisor must not be 0") : x % y) : null;

    /// <summary>STEP(n BY m): n rounded down to a multiple of m (STEP(23 BY 5) = 20, STEP(-1 BY 5) = -5); m must be positive.</summary>
    [SqlFunction("STEP")]
    public static long? Step(long? n, long? m)
    {
        if (n is not { } x || m is not { } y)
        {
            return null;
        }

        if (y <= 0)
        {
            throw new SqlFunctionException($"STEP size must be greater than 0, got {y}");
        }

        var r = x % y;
        return r < 0 ? x - r - y : x - r;
    }

    [SqlFunction("STEP")]
    public static double? Step(double? n, double? m)
    {
        if (n is not { } x || m is not { } y)
        {
            return null;
        }

        return y > 0 ? Math.Floor(x / y) * y : throw new SqlFunctionException($"STEP size must be greater than 0, got {y}");
    }

    [SqlFunction("STEP")]
    public static decimal? Step(decimal? n, decimal? m)
    {
        if (n is not { } x || m is not { } y)
        {
            return null;
        }

        return y > 0 ? Math.Floor(x / y) * y : throw new SqlFunctionException($"STEP size must be greater than 0, got {y}");
    }
}
