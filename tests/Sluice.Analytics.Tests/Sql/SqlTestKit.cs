using System.Globalization;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Tests.Sql;

/// <summary>Collects what a runtime emits, per stream, as readable lines.</summary>
internal sealed class CollectingSink : ISqlRowSink
{
    public List<(string Stream, DateTime Rowtime, object?[] Values)> Rows { get; } = [];

    public void Emit(string stream, DateTime rowtime, ReadOnlySpan<object?> values) => Rows.Add((stream, rowtime, values.ToArray()));

    public List<string> Lines(string stream) => Rows.Where(r => r.Stream == stream).Select(r => Format(r.Rowtime, r.Values)).ToList();

    public static string Format(DateTime rowtime, object?[] values) =>
        rowtime.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + " | " + string.Join(", ", values.Select(FormatValue));

    public static string FormatValue(object? v) => v switch
    {
        null => "NULL",
        DateTime t => t.ToString(t.Millisecond == 0 ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture),
        double d => d.ToString("0.###", CultureInfo.InvariantCulture),
        bool b => b ? "TRUE" : "FALSE",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString()!,
    };
}

/// <summary>Schemas and rows of the reference's example applications.</summary>
internal static class Tolls
{
    public const string Source = "SOURCE_SQL_STREAM_001";

    public static readonly DateTime Day = new(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc);

    public static readonly SqlStreamSchema Input = new(Source,
    [
        new SqlColumn("CUSTOMER_ID", SqlType.Parse("VARCHAR(16)")),
        new SqlColumn("BOOTH_ID", SqlType.Parse("VARCHAR(8)")),
        new SqlColumn("PLATE", SqlType.Parse("VARCHAR(16)")),
        new SqlColumn("VEHICLE_CLASS", SqlType.Parse("VARCHAR(8)")),
        new SqlColumn("AXLES", SqlType.Parse("INTEGER")),
        new SqlColumn("AMOUNT", SqlType.Parse("DECIMAL(8,2)")),
        new SqlColumn("PASSAGE_TIME", SqlType.Parse("TIMESTAMP")),
    ]);

    public static readonly SqlStreamSchema Sensors = new(Source,
    [
        new SqlColumn("SENSOR_ID", SqlType.Parse("VARCHAR(16)")),
        new SqlColumn("TEMP_C", SqlType.Parse("DOUBLE")),
        new SqlColumn("HUMIDITY", SqlType.Parse("DOUBLE")),
    ]);

    public static readonly SqlStreamSchema Thresholds = new("BOOTH_THRESHOLDS",
    [
        new SqlColumn("BOOTH_ID", SqlType.Parse("VARCHAR(8)")),
        new SqlColumn("MIN_VEHICLES", SqlType.Parse("INTEGER")),
    ]);

    public static DateTime At(string hhmmss) => Day + TimeSpan.Parse(hhmmss, CultureInfo.InvariantCulture);

    public static object?[] Passage(string customer, string booth, string? plate, string vehicleClass, long axles, decimal amount, string passageTime) =>
        [customer, booth, plate, vehicleClass, axles, amount, At(passageTime)];

    public static SqlRuntime Start(string code, SqlStreamSchema input, CollectingSink sink, params string[] outputs) =>
        Start(code, input, [], sink, outputs);

    public static SqlRuntime Start(string code, SqlStreamSchema input, IReadOnlyList<SqlStreamSchema> tables, CollectingSink sink, params string[] outputs)
    {
        var program = SqlCompiler.Compile(code, [input], tables);
        return program.CreateRuntime(new SqlRuntimeOptions { Sink = sink, OutputStreams = outputs.ToHashSet() });
    }

    public static void Push(this SqlRuntime runtime, string rowtime, object?[] values) =>
        runtime.Push(Source, new SourceRow(At(rowtime), At(rowtime), values));
}

/// <summary>A small generic input (K, X, Y, D, T) and a one-pump application writing to OUT.</summary>
internal static class Generic
{
    public static readonly SqlStreamSchema Input = new(Tolls.Source,
    [
        new SqlColumn("K", SqlType.Parse("VARCHAR(8)")),
        new SqlColumn("X", SqlType.Parse("INTEGER")),
        new SqlColumn("Y", SqlType.Parse("DOUBLE")),
        new SqlColumn("D", SqlType.Parse("DECIMAL(8,2)")),
        new SqlColumn("T", SqlType.Parse("TIMESTAMP")),
    ]);

    public static object?[] Row(string? k, long? x, double? y = null, decimal? d = null, DateTime? t = null) => [k, x, y, d, t];

    /// <summary>CREATE STREAM OUT (columns) plus a pump running <paramref name="select"/> into it.</summary>
    public static string App(string columns, string select) =>
        $"CREATE STREAM OUT ({columns});\nCREATE PUMP P AS INSERT INTO OUT {select};";

    public static SqlRuntime Start(string code, CollectingSink sink, IReadOnlyList<SqlStreamSchema>? tables = null) =>
        SqlCompiler.Compile(code, [Input], tables ?? []).CreateRuntime(new SqlRuntimeOptions { Sink = sink, OutputStreams = new HashSet<string> { "OUT", "error_stream" } });
}
