using Sluice.Analytics.Sql.Functions.Scalar;

namespace Sluice.Analytics.Sql.Execution;

/// <summary>
/// A log-parsing call site (FAST_REGEX_LOG_PARSE, …) typed for SQL: each row's line becomes a ROW value, an
/// <c>object?[]</c> with one value per column cast to the column's type; a line that does not match gives a NULL row.
/// </summary>
internal sealed class LogRowParser(LogParser parser, SqlType[] types, string key)
{
    public object?[]? Parse(string? line)
    {
        var parts = parser.Parse(line);
        if (parts is null)
        {
            return null;
        }

        var values = new object?[types.Length];
        for (int i = 0; i < values.Length && i < parts.Length; i++)
        {
            values[i] = ScalarOps.Cast(parts[i], types[i]);
        }

        return values;
    }

    /// <summary>The call as written, so equal call sites have equal bound keys.</summary>
    public override string ToString() => key;
}

/// <summary>The operations on ROW values that bound expressions call.</summary>
internal static class RowValues
{
    public static object?[]? ParseLog(LogRowParser parser, string? line) => parser.Parse(line);

    /// <summary>A field of a ROW value; a NULL row has NULL fields.</summary>
    public static object? Field(object?[]? row, int index) => row?[index];
}
