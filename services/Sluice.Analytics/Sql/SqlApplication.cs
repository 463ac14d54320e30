namespace Sluice.Analytics.Sql;

// The boundary between the Analytics service (API, inputs, outputs, checkpoints) and the SQL engine (Sql/*).
// Values cross it as CLR objects: BOOLEAN bool; TINYINT..BIGINT long; REAL/DOUBLE double; DECIMAL decimal;
// CHAR/VARCHAR string; BINARY/VARBINARY byte[]; DATE and TIMESTAMP DateTime (UTC, millisecond precision);
// TIME and INTERVAL DAY TO SECOND TimeSpan; INTERVAL YEAR TO MONTH int (months); SQL NULL null.

/// <summary>The SQL types of the KDA dialect.</summary>
public enum SqlTypeKind
{
    Boolean,
    TinyInt,
    SmallInt,
    Integer,
    BigInt,
    Real,
    Double,
    Decimal,
    Char,
    Varchar,
    Binary,
    Varbinary,
    Date,
    Time,
    Timestamp,
    IntervalDayToSecond,
    IntervalYearToMonth,

    /// <summary>A ROW value (what the log-parsing functions return); only inside queries, never a column of a stream. Its fields are <see cref="SqlType.Fields"/>.</summary>
    Row,
}

/// <summary>A column type as KDA writes it (<c>VARCHAR(16)</c>, <c>DECIMAL(10,2)</c>, <c>TIMESTAMP</c>).</summary>
public sealed record SqlType(SqlTypeKind Kind, int Length = 0, int Precision = 0, int Scale = 0)
{
    /// <summary>The fields of a <see cref="SqlTypeKind.Row"/> type, in order; null for every other kind.</summary>
    public IReadOnlyList<SqlColumn>? Fields { get; init; }

    /// <summary>Parses a RecordColumns SqlType; throws <see cref="FormatException"/> naming the text when it is not a type.</summary>
    public static SqlType Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        try
        {
            return Syntax.Parser.ParseTypeText(text);
        }
        catch (SqlCompileException e)
        {
            throw new FormatException($"'{text}' is not a SQL type: {e.Message}", e);
        }
    }

    public static bool TryParse(string text, out SqlType? type)
    {
        try
        {
            type = Parse(text);
            return true;
        }
        catch (FormatException)
        {
            type = null;
            return false;
        }
    }
}

/// <summary>A column of an in-application stream or reference table; names are stored exactly (case-sensitive).</summary>
public sealed record SqlColumn(string Name, SqlType Type);

/// <summary>An in-application stream or reference table and its columns (ROWTIME is implicit and never listed).</summary>
public sealed record SqlStreamSchema(string Name, IReadOnlyList<SqlColumn> Columns);

/// <summary>Application code that does not compile: the message names the problem, with its 1-based line and column.</summary>
public sealed class SqlCompileException(string message, int line, int column) : Exception(message)
{
    public int Line { get; } = line;

    public int Column { get; } = column;
}

/// <summary>A source row entering an input in-application stream (e.g. SOURCE_SQL_STREAM_001).</summary>
/// <param name="Rowtime">The row's ROWTIME; the service derives it from the record's arrival time so that a replay gives the same ROWTIMEs.</param>
/// <param name="Values">Values in the input schema's column order.</param>
public readonly record struct SourceRow(DateTime Rowtime, DateTime ApproximateArrivalTime, object?[] Values, string? PartitionKey = null, string? SequenceNumber = null, string? ShardId = null);

/// <summary>Receives the rows the pumps insert into the in-application streams named in <see cref="SqlRuntimeOptions.OutputStreams"/>, and error_stream rows.</summary>
public interface ISqlRowSink
{
    /// <summary>One row, in ROWTIME order per stream; values in the stream's column order.</summary>
    void Emit(string stream, DateTime rowtime, ReadOnlySpan<object?> values);
}

/// <summary>How a runtime runs: where rows go and which streams are wanted.</summary>
public sealed class SqlRuntimeOptions
{
    public required ISqlRowSink Sink { get; init; }

    /// <summary>In-application streams whose rows reach the sink (error_stream included when named).</summary>
    public required IReadOnlySet<string> OutputStreams { get; init; }

    /// <summary>Seed for RANDOM_CUT_FOREST / HOTSPOTS sampling, so tests and replays are deterministic.</summary>
    public int RandomSeed { get; init; } = 1;
}

/// <summary>Compiles application code (CreateApplication / UpdateApplication validate with it).</summary>
public static class SqlCompiler
{
    /// <summary>Parses, resolves and plans <paramref name="code"/> against the input streams and reference tables; throws <see cref="SqlCompileException"/>.</summary>
    public static SqlProgram Compile(string code, IReadOnlyList<SqlStreamSchema> inputs, IReadOnlyList<SqlStreamSchema> referenceTables) =>
        Planning.CompiledProgram.Create(code, inputs, referenceTables);
}

/// <summary>A compiled application: its streams, and runtimes that execute it.</summary>
public abstract class SqlProgram
{
    /// <summary>Every in-application stream: the inputs and the ones the code creates (with their declared columns).</summary>
    public abstract IReadOnlyList<SqlStreamSchema> Streams { get; }

    public abstract SqlRuntime CreateRuntime(SqlRuntimeOptions options);
}

/// <summary>
/// One running application. Single-threaded: the service calls it from one loop. Rows flow to the sink synchronously
/// from <see cref="Push"/> and <see cref="AdvanceClock"/>.
/// </summary>
public abstract class SqlRuntime
{
    /// <summary>Replaces a reference table's rows (at start and when UpdateApplication changes it).</summary>
    public abstract void LoadReferenceTable(string name, IEnumerable<object?[]> rows);

    /// <summary>Inserts a source row into an input in-application stream and runs the pumps it feeds.</summary>
    public abstract void Push(string inputStream, in SourceRow row);

    /// <summary>Puts a row into error_stream (a source record that did not map, a Lambda ProcessingFailed record).</summary>
    public abstract void ReportError(DateTime errorTime, string errorName, string message, DateTime? dataRowtime, string dataRowHex);

    /// <summary>
    /// Wall-clock progress with no new rows: windows whose end has passed close and emit, as KDA did on an idle stream
    /// (the low-traffic alert depends on a quiet stream still emitting its last window).
    /// </summary>
    public abstract void AdvanceClock(DateTime utcNow);

    /// <summary>Operator state (windows, per-key aggregates, forests) for a checkpoint.</summary>
    public abstract byte[] SaveState();

    /// <summary>Restores state saved by <see cref="SaveState"/> from the same program, before any Push.</summary>
    public abstract void RestoreState(byte[] state);

    /// <summary>Entries held in operator state (per-key aggregates, window rows), exposed as a metric.</summary>
    public abstract long StateEntries { get; }
}
