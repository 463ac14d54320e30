// Rows per second (wall clock and per CPU second) and allocated bytes per row of the KDA SQL engine on one thread, rows
// already decoded (SourceRow values), and the same GROUP BY computed in batch by PostgreSQL when SLUICE_BENCH_POSTGRES
// holds a connection string. Arguments: [scale] [keys of the GROUP BY case] [only cases whose name contains this].
using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Sluice.Analytics.Sql;

const string Source = "SOURCE_SQL_STREAM_001";
var input = new SqlStreamSchema(Source,
[
    new SqlColumn("K", SqlType.Parse("VARCHAR(16)")),
    new SqlColumn("X", SqlType.Parse("INTEGER")),
    new SqlColumn("Y", SqlType.Parse("DOUBLE")),
    new SqlColumn("C", SqlType.Parse("VARCHAR(8)")),
]);
var start = new DateTime(2024, 5, 1, 8, 0, 0, DateTimeKind.Utc);
double scale = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;

// A third argument runs only the cases whose name contains it (e.g. "tumbling").
string only = args.Length > 2 ? args[2] : "";

Run("filter+project", (int)(5_000_000 * scale), 100_000, TimeSpan.FromMilliseconds(1), """
    CREATE STREAM OUT (K VARCHAR(16), X2 BIGINT, Y DOUBLE);
    CREATE PUMP P AS INSERT INTO OUT
      SELECT STREAM K, X * 2 + 1, Y FROM "SOURCE_SQL_STREAM_001" WHERE X >= 10 AND C <> 'BUS';
    """);
int groupKeys = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
Run($"tumbling GROUP BY key ({groupKeys:N0} keys) COUNT/SUM, 1-minute windows", (int)(10_000_000 * scale), groupKeys, TimeSpan.FromTicks(60 * TimeSpan.TicksPerSecond / 1_000_000), """
    CREATE STREAM OUT (K VARCHAR(16), W TIMESTAMP, N BIGINT, S BIGINT);
    CREATE PUMP P AS INSERT INTO OUT
      SELECT STREAM K, STEP(s.ROWTIME BY INTERVAL '1' MINUTE), COUNT(*), SUM(X)
      FROM "SOURCE_SQL_STREAM_001" AS s GROUP BY K, STEP(s.ROWTIME BY INTERVAL '1' MINUTE);
    """);
Run("sliding 1-minute AVG per key (10k keys)", (int)(2_000_000 * scale), 10_000, TimeSpan.FromTicks(60 * TimeSpan.TicksPerSecond / 200_000), """
    CREATE STREAM OUT (K VARCHAR(16), Y DOUBLE, A DOUBLE);
    CREATE PUMP P AS INSERT INTO OUT
      SELECT STREAM K, Y, AVG(Y) OVER (PARTITION BY K RANGE INTERVAL '1' MINUTE PRECEDING) FROM "SOURCE_SQL_STREAM_001";
    """);
Run("RANDOM_CUT_FOREST (100 trees, 256 samples, 2 features)", (int)(50_000 * scale), 10, TimeSpan.FromMilliseconds(10), """
    CREATE STREAM OUT (K VARCHAR(16), X INTEGER, Y DOUBLE, SCORE DOUBLE);
    CREATE PUMP P AS INSERT INTO OUT
      SELECT STREAM K, X, Y, ANOMALY_SCORE FROM TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM K, X, Y FROM "SOURCE_SQL_STREAM_001")));
    """);

if (Environment.GetEnvironmentVariable("SLUICE_BENCH_POSTGRES") is { Length: > 0 } connection)
{
    await using var data = NpgsqlDataSource.Create(connection);
    await using var command = data.CreateCommand("""
        SELECT count(*) FROM (
          SELECT i % 100000 AS k, i / 1000000 AS w, count(*), sum(i % 1000)
          FROM generate_series(1, 10000000) AS i GROUP BY 1, 2) AS t
        """);
    command.CommandTimeout = 600;
    var watch = Stopwatch.StartNew();
    var groups = await command.ExecuteScalarAsync();
    watch.Stop();
    Console.WriteLine($"{"PostgreSQL batch GROUP BY (100k keys x 10 windows) over 10M generate_series rows",-70} {10_000_000 / watch.Elapsed.TotalSeconds,14:N0} rows/s  ({groups} groups, {watch.Elapsed.TotalSeconds:F2} s)");
}
else
{
    Console.WriteLine("PostgreSQL comparison skipped: set SLUICE_BENCH_POSTGRES to a connection string");
}

void Run(string name, int rows, int keys, TimeSpan step, string code)
{
    if (!name.Contains(only, StringComparison.OrdinalIgnoreCase))
    {
        return;
    }

    var program = SqlCompiler.Compile(code, [input], []);
    var sink = new CountingSink();
    var runtime = program.CreateRuntime(new SqlRuntimeOptions { Sink = sink, OutputStreams = new HashSet<string> { "OUT" } });

    // A pool of decoded rows reused cyclically, so the figure is the engine's and not the generator's.
    var random = new Random(42);
    var names = new string[keys];
    for (int i = 0; i < keys; i++)
    {
        names[i] = "key-" + i.ToString(CultureInfo.InvariantCulture);
    }

    var pool = new object?[Math.Min(rows, 1 << 20)][];
    for (int i = 0; i < pool.Length; i++)
    {
        pool[i] = [names[random.Next(keys)], (long)random.Next(0, 100), random.NextDouble() * 100, i % 10 == 0 ? "BUS" : "CAR"];
    }

    var time = start;
    long allocated = GC.GetAllocatedBytesForCurrentThread();
    var paused = GC.GetTotalPauseDuration();
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
    var watch = Stopwatch.StartNew();
    for (int i = 0; i < rows; i++)
    {
        time += step;
        runtime.Push(Source, new SourceRow(time, time, pool[i % pool.Length]));
    }

    runtime.AdvanceClock(time.AddHours(1));
    watch.Stop();
    allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

    // Rows per second of process CPU time as well: on a loaded machine the wall clock also counts time waiting for a core.
    cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
    Console.WriteLine($"{name,-70} {rows / watch.Elapsed.TotalSeconds,14:N0} rows/s {rows / cpu.TotalSeconds,12:N0} rows/cpu-s {allocated / (double)rows,7:F1} B/row  ({rows:N0} rows, {sink.Count:N0} out, {watch.Elapsed.TotalSeconds:F2} s, GC pauses {(GC.GetTotalPauseDuration() - paused).TotalSeconds:F2} s, gen0 {GC.CollectionCount(0) - gen0}, gen2 {GC.CollectionCount(2) - gen2})");
}

/// <summary>Counts emitted rows.</summary>
internal sealed class CountingSink : ISqlRowSink
{
    public long Count { get; private set; }

    public void Emit(string stream, DateTime rowtime, ReadOnlySpan<object?> values) => Count++;
}
