using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Sluice.Analytics.Sql;
using Sluice.Analytics.Sql.Execution;

namespace Sluice.Analytics.Tests.Sql;

/// <summary>
/// The flat-state tumbling GROUP BY (COUNT/SUM/AVG/MIN/MAX/VAR/STDDEV only) gives row for row, in the same order, what the
/// accumulator-object path gives, over many keys, NULL keys, keys whose hashes collide, groups going idle, and checkpoints.
/// </summary>
public class FlatGroupByTests
{
    private static readonly SqlStreamSchema Input = new(Tolls.Source,
    [
        new SqlColumn("K", SqlType.Parse("VARCHAR(8)")),
        new SqlColumn("B", SqlType.Parse("BIGINT")),
        new SqlColumn("X", SqlType.Parse("INTEGER")),
        new SqlColumn("Y", SqlType.Parse("DOUBLE")),
        new SqlColumn("C", SqlType.Parse("VARCHAR(8)")),
    ]);

    private static readonly HashSet<string> Outputs = ["OUT", "error_stream"];

    // LAST_VALUE(C) has no flat form, so the same query with it runs on accumulator objects.
    private static string Grouped(bool general, string having = "") => $"""
        CREATE STREAM OUT (K VARCHAR(8), W TIMESTAMP, B BIGINT, N BIGINT, NX BIGINT, S BIGINT, AX BIGINT, LO INTEGER, HI INTEGER,
          SY DOUBLE, AY DOUBLE, LY DOUBLE, HY DOUBLE, V DOUBLE, SD DOUBLE{(general ? ", L VARCHAR(8)" : "")});
        CREATE PUMP P AS INSERT INTO OUT
          SELECT STREAM K, STEP(s.ROWTIME BY INTERVAL '10' SECOND), B, COUNT(*), COUNT(X), SUM(X), AVG(X), MIN(X), MAX(X),
            SUM(Y), AVG(Y), MIN(Y), MAX(Y), VAR_POP(Y), STDDEV_SAMP(Y){(general ? ", LAST_VALUE(C)" : "")}
          FROM "SOURCE_SQL_STREAM_001" AS s
          GROUP BY K, STEP(s.ROWTIME BY INTERVAL '10' SECOND), B {having};
        """;

    /// <summary>
    /// Rows over up to <paramref name="keys"/> keys whose pool shifts every few windows (so groups go idle and are forgotten);
    /// K is sometimes NULL and B is n or n shifted 32 bits left, which have the same hash code.
    /// </summary>
    private static List<(DateTime Time, object?[] Values)> Rows(int seed, int keys)
    {
        var random = new Random(seed);
        int n = random.Next(1, 3000);
        var time = Tolls.At("08:00:00");
        var rows = new List<(DateTime, object?[])>(n);
        for (int i = 0; i < n; i++)
        {
            time = time.AddMilliseconds(random.Next(0, 200));
            int shift = (int)((time - Tolls.At("08:00:00")).Ticks / TimeSpan.TicksPerSecond / 25) * (keys / 3);
            int key = shift + random.Next(keys);
            string? k = random.Next(20) == 0 ? null : "k" + (key % 997);
            long? b = random.Next(15) == 0 ? null : random.Next(2) == 0 ? key / 997 : (long)(key / 997) << 32;
            long? x = random.Next(8) == 0 ? null : random.Next(-1000, 1000);
            double? y = random.Next(8) == 0 ? null : random.Next(200) == 0 ? double.NaN : random.Next(-10_000, 10_000) / 8.0;
            rows.Add((time, [k, b, x, y, "c" + random.Next(3)]));
        }

        return rows;
    }

    private static List<object?[]> Run(SqlProgram program, List<(DateTime Time, object?[] Values)> rows, bool dropLast, int? checkpointAt = null, string stream = "OUT")
    {
        var sink = new CollectingSink();
        var runtime = program.CreateRuntime(new SqlRuntimeOptions { Sink = sink, OutputStreams = Outputs });
        for (int i = 0; i < rows.Count; i++)
        {
            if (i == checkpointAt)
            {
                var state = runtime.SaveState();
                runtime = program.CreateRuntime(new SqlRuntimeOptions { Sink = sink, OutputStreams = Outputs });
                runtime.RestoreState(state);
            }

            runtime.Push(Tolls.Source, new SourceRow(rows[i].Time, rows[i].Time, rows[i].Values));
        }

        runtime.AdvanceClock(rows[^1].Time.AddHours(1));
        return sink.Rows.Where(r => r.Stream == stream).Select(r => (dropLast ? r.Values[..^1] : r.Values).Prepend(r.Rowtime).ToArray()).ToList();
    }

    private static bool Same(List<object?[]> a, List<object?[]> b) =>
        a.Count == b.Count && a.Zip(b).All(p => p.First.SequenceEqual(p.Second));

    private static Type PlanOf(SqlProgram program)
    {
        var runtime = (EngineRuntime)program.CreateRuntime(new SqlRuntimeOptions { Sink = new CollectingSink(), OutputStreams = Outputs });
        return runtime.Graph.Operators.Single().GetType();
    }

    [Test]
    public void Grouping_with_only_numeric_count_sum_avg_min_max_var_stddev_runs_on_flat_state()
    {
        Assert.That(PlanOf(SqlCompiler.Compile(Grouped(false), [Input], [])), Is.EqualTo(typeof(FlatTumblingAggregateOperator)));
        Assert.That(PlanOf(SqlCompiler.Compile(Grouped(true), [Input], [])), Is.EqualTo(typeof(TumblingAggregateOperator)));
    }

    [TestCase(10)]
    [TestCase(3000)]
    public void Flat_groups_emit_what_accumulator_groups_emit_in_the_same_order(int keys)
    {
        var flat = SqlCompiler.Compile(Grouped(false), [Input], []);
        var general = SqlCompiler.Compile(Grouped(true), [Input], []);
        Prop.ForAll(Gen.Choose(1, 1_000_000).ToArbitrary(), seed =>
        {
            var rows = Rows(seed, keys);
            var expected = Run(general, rows, dropLast: true);
            return expected.Count > 0 && Same(Run(flat, rows, dropLast: false), expected);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(25));
    }

    [Test]
    public void Flat_groups_filtered_by_having_emit_what_accumulator_groups_emit()
    {
        const string Having = "HAVING COUNT(*) > 2 AND SUM(X) > 0";
        var flat = SqlCompiler.Compile(Grouped(false, Having), [Input], []);
        var general = SqlCompiler.Compile(Grouped(true, Having), [Input], []);
        Prop.ForAll(Gen.Choose(1, 1_000_000).ToArbitrary(), seed =>
        {
            var rows = Rows(seed, 40);
            var expected = Run(general, rows, dropLast: true);
            return Same(Run(flat, rows, dropLast: false), expected);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(25));
    }

    [Test]
    public void Restoring_flat_groups_at_any_row_gives_the_output_of_an_uninterrupted_run()
    {
        var flat = SqlCompiler.Compile(Grouped(false), [Input], []);
        Prop.ForAll(Gen.Choose(1, 1_000_000).ToArbitrary(), Gen.Choose(0, 2999).ToArbitrary(), (seed, cut) =>
        {
            var rows = Rows(seed, 200);
            var uninterrupted = Run(flat, rows, dropLast: false);
            return uninterrupted.Count > 0 && Same(Run(flat, rows, dropLast: false, cut % rows.Count), uninterrupted);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(30));
    }

    [Test]
    public void Keys_with_equal_hash_codes_are_separate_groups()
    {
        // 1 and 1 << 32 have the same Int64 hash code; a NULL key is a group of its own.
        var sink = new CollectingSink();
        var runtime = SqlCompiler.Compile(Grouped(false), [Input], []).CreateRuntime(new SqlRuntimeOptions { Sink = sink, OutputStreams = Outputs });
        runtime.Push("08:00:01", ["a", 1L, 5L, 1.0, "c"]);
        runtime.Push("08:00:02", ["a", 1L << 32, 7L, 2.0, "c"]);
        runtime.Push("08:00:03", ["a", 1L, 1L, 3.0, "c"]);
        runtime.Push("08:00:04", [null, null, null, null, "c"]);
        runtime.AdvanceClock(Tolls.At("08:01:00"));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[]
        {
            "08:00:10 | a, 2024-05-01 08:00:00, 1, 2, 2, 6, 3, 1, 5, 4, 2, 1, 3, 1, 1.414",
            "08:00:10 | a, 2024-05-01 08:00:00, 4294967296, 1, 1, 7, 7, 7, 7, 2, 2, 2, 2, 0, NULL",
            "08:00:10 | NULL, 2024-05-01 08:00:00, NULL, 1, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL",
        }));
    }
}
