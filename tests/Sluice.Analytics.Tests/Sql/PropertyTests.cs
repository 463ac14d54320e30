using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Tests.Sql;

/// <summary>Streaming results equal batch results over the same rows; a checkpoint restore changes nothing.</summary>
public class PropertyTests
{
    private const string Windowed = """
        CREATE STREAM OUT (K VARCHAR(8), W TIMESTAMP, N BIGINT, S BIGINT, LO INTEGER, HI INTEGER, A DOUBLE);
        CREATE PUMP P AS INSERT INTO OUT
          SELECT STREAM K, FLOOR(s.ROWTIME TO MINUTE), COUNT(*), SUM(X), MIN(X), MAX(X), AVG(Y)
          FROM "SOURCE_SQL_STREAM_001" AS s
          GROUP BY K, FLOOR(s.ROWTIME TO MINUTE);
        """;

    private const string Sliding = """
        CREATE STREAM OUT (K VARCHAR(8), X INTEGER, A DOUBLE, LO INTEGER, HI INTEGER, P INTEGER, N BIGINT);
        CREATE PUMP P AS INSERT INTO OUT
          SELECT STREAM K, X, AVG(Y) OVER w, MIN(X) OVER w, MAX(X) OVER w, LAG(X) OVER w, COUNT(*) OVER (ROWS 3 PRECEDING)
          FROM "SOURCE_SQL_STREAM_001"
          WINDOW w AS (PARTITION BY K RANGE INTERVAL '40' SECOND PRECEDING);
        """;

    private const string Stagger = """
        CREATE STREAM OUT (K VARCHAR(8), N BIGINT, S BIGINT);
        CREATE PUMP P AS INSERT INTO OUT
          SELECT STREAM K, COUNT(*), SUM(X) FROM "SOURCE_SQL_STREAM_001"
          WINDOWED BY STAGGER (PARTITION BY K RANGE INTERVAL '45' SECOND);
        """;

    private static List<(DateTime Time, object?[] Values)> Rows(int seed)
    {
        var random = new Random(seed);
        int n = random.Next(1, 300);
        var time = Tolls.At("08:00:00");
        var rows = new List<(DateTime, object?[])>(n);
        for (int i = 0; i < n; i++)
        {
            time = time.AddMilliseconds(random.Next(0, 20_000));
            long? x = random.Next(10) == 0 ? null : random.Next(-100, 100);
            rows.Add((time, Generic.Row("k" + random.Next(5), x, random.Next(0, 1000) / 10.0)));
        }

        return rows;
    }

    private static List<string> RunAll(SqlProgram program, List<(DateTime Time, object?[] Values)> rows, int? checkpointAt = null)
    {
        var sink = new CollectingSink();
        var outputs = new HashSet<string> { "OUT" };
        var runtime = program.CreateRuntime(new SqlRuntimeOptions { Sink = sink, OutputStreams = outputs });
        for (int i = 0; i < rows.Count; i++)
        {
            if (i == checkpointAt)
            {
                var state = runtime.SaveState();
                runtime = program.CreateRuntime(new SqlRuntimeOptions { Sink = sink, OutputStreams = outputs });
                runtime.RestoreState(state);
            }

            runtime.Push(Tolls.Source, new SourceRow(rows[i].Time, rows[i].Time, rows[i].Values));
        }

        runtime.AdvanceClock(rows[^1].Time.AddHours(1));
        return sink.Lines("OUT");
    }

    [Test]
    public void Tumbling_count_sum_min_max_avg_per_key_equal_the_batch_aggregates()
    {
        var program = SqlCompiler.Compile(Windowed, [Generic.Input], []);
        Prop.ForAll(Gen.Choose(1, 1_000_000).ToArbitrary(), seed =>
        {
            var rows = Rows(seed);
            var streamed = RunAll(program, rows).OrderBy(l => l, StringComparer.Ordinal).ToList();
            var batch = rows
                .GroupBy(r => (Key: (string)r.Values[0]!, Minute: new DateTime(r.Time.Ticks - (r.Time.Ticks % TimeSpan.TicksPerMinute), DateTimeKind.Utc)))
                .Select(g =>
                {
                    var xs = g.Select(r => (long?)r.Values[1]).Where(x => x is not null).Select(x => x!.Value).ToList();
                    object?[] values =
                    [
                        g.Key.Key, g.Key.Minute, (long)g.Count(), xs.Count == 0 ? null : xs.Sum(), xs.Count == 0 ? null : xs.Min(),
                        xs.Count == 0 ? null : xs.Max(), g.Average(r => (double)r.Values[2]!),
                    ];
                    return CollectingSink.Format(g.Key.Minute.AddMinutes(1), values);
                })
                .OrderBy(l => l, StringComparer.Ordinal)
                .ToList();
            return streamed.SequenceEqual(batch);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [TestCase(Windowed)]
    [TestCase(Sliding)]
    [TestCase(Stagger)]
    public void Restoring_a_checkpoint_at_any_row_gives_the_output_of_an_uninterrupted_run(string code)
    {
        var program = SqlCompiler.Compile(code, [Generic.Input], []);
        Prop.ForAll(Gen.Choose(1, 1_000_000).ToArbitrary(), Gen.Choose(0, 299).ToArbitrary(), (seed, cut) =>
        {
            var rows = Rows(seed);
            var uninterrupted = RunAll(program, rows);
            var restored = RunAll(program, rows, cut % rows.Count);
            return uninterrupted.Count > 0 && uninterrupted.SequenceEqual(restored);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(40));
    }

    [Test]
    public void Restoring_a_random_cut_forest_checkpoint_continues_with_the_same_scores()
    {
        var program = SqlCompiler.Compile(ExampleApplicationsTests.RandomCutForest.Replace("100,      -- numberOfTrees", "10,", StringComparison.Ordinal).Replace("256,", "16,", StringComparison.Ordinal), [Tolls.Sensors], []);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 120).Select(i => (Tolls.At("08:00:00").AddMilliseconds(i * 300), new object?[] { "S1", random.NextDouble() * 10, random.NextDouble() * 10 })).ToList();
        List<string> Run(int? cut)
        {
            var sink = new CollectingSink();
            var outputs = new HashSet<string> { "RCF_RANKED" };
            var runtime = program.CreateRuntime(new SqlRuntimeOptions { Sink = sink, OutputStreams = outputs });
            for (int i = 0; i < rows.Count; i++)
            {
                if (i == cut)
                {
                    var state = runtime.SaveState();
                    runtime = program.CreateRuntime(new SqlRuntimeOptions { Sink = sink, OutputStreams = outputs });
                    runtime.RestoreState(state);
                }

                runtime.Push(Tolls.Source, new SourceRow(rows[i].Item1, rows[i].Item1, rows[i].Item2));
            }

            runtime.AdvanceClock(Tolls.At("09:00:00"));
            return sink.Lines("RCF_RANKED");
        }

        var uninterrupted = Run(null);
        Assert.That(uninterrupted, Has.Count.EqualTo(120));
        Assert.That(Run(50), Is.EqualTo(uninterrupted));
        Assert.That(Run(101), Is.EqualTo(uninterrupted));
    }

    [Test]
    public void State_entries_count_open_groups_and_drop_when_windows_close()
    {
        var program = SqlCompiler.Compile(Windowed, [Generic.Input], []);
        var runtime = program.CreateRuntime(new SqlRuntimeOptions { Sink = new CollectingSink(), OutputStreams = new HashSet<string>() });
        runtime.Push("08:00:01", Generic.Row("a", 1, 1));
        runtime.Push("08:00:02", Generic.Row("b", 1, 1));
        runtime.Push("08:00:03", Generic.Row("a", 1, 1));
        Assert.That(runtime.StateEntries, Is.EqualTo(2));
        runtime.AdvanceClock(Tolls.At("08:01:00"));
        Assert.That(runtime.StateEntries, Is.EqualTo(0));
    }
}
