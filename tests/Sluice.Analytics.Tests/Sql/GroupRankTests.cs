using NUnit.Framework;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Tests.Sql;

/// <summary>GROUP_RANK(cursor, 'rankBy', 'rankOut', sortOrder, outputOrder, maxIdle, outputMax) (reference §8.3).</summary>
public class GroupRankTests
{
    private const string Cursor = "CURSOR(SELECT STREAM K, X FROM \"SOURCE_SQL_STREAM_001\")";

    private static string App(string args, string select = "SELECT STREAM *") =>
        Generic.App("K VARCHAR(8), X INTEGER, R INTEGER", $"{select} FROM TABLE(GROUP_RANK({Cursor}, {args}))");

    private static readonly (string Time, string K, long? X)[] Rows =
    [
        ("08:00:00", "a", 5), ("08:00:00", "b", 9), ("08:00:00", "c", 5), ("08:00:00", "d", null), ("08:00:00", "e", 7),
        ("08:00:01", "f", 1), ("08:00:01", "g", 3),
        ("08:00:02", "h", 4),
    ];

    private static (CollectingSink Sink, SqlRuntime Runtime) Start(string code)
    {
        var sink = new CollectingSink();
        return (sink, Generic.Start(code, sink));
    }

    private static void Push(SqlRuntime runtime, IEnumerable<(string Time, string K, long? X)> rows)
    {
        foreach (var (time, k, x) in rows)
        {
            runtime.Push(time, Generic.Row(k, x));
        }
    }

    [Test]
    public void Ranks_each_rowtime_group_descending_with_ties_sharing_a_rank_and_emits_it_when_the_rowtime_changes()
    {
        var (sink, runtime) = Start(App("'X', 'R', 'desc', 'asc', 0, 0"));
        Push(runtime, Rows);
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[]
        {
            "08:00:00 | b, 9, 1",
            "08:00:00 | e, 7, 2",
            "08:00:00 | a, 5, 3",
            "08:00:00 | c, 5, 3",
            "08:00:00 | d, NULL, 5",
            "08:00:01 | g, 3, 1",
            "08:00:01 | f, 1, 2",
        }), "the 08:00:02 group is still open: no later ROWTIME and no idle timeout");
    }

    [Test]
    public void Ascending_rank_descending_output_and_output_max_keep_the_last_ranks_first()
    {
        var (sink, runtime) = Start(App("'X', 'R', 'asc', 'desc', 0, 3"));
        Push(runtime, Rows);
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[]
        {
            "08:00:00 | d, NULL, 5",
            "08:00:00 | b, 9, 4",
            "08:00:00 | e, 7, 3",
            "08:00:01 | g, 3, 2",
            "08:00:01 | f, 1, 1",
        }));
    }

    [Test]
    public void Descending_output_keeps_rows_that_tie_in_arrival_order()
    {
        var (sink, runtime) = Start(App("'X', 'R', 'desc', 'desc', 0, 0"));
        Push(runtime, Rows.Take(6));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[]
        {
            "08:00:00 | d, NULL, 5", "08:00:00 | a, 5, 3", "08:00:00 | c, 5, 3", "08:00:00 | e, 7, 2", "08:00:00 | b, 9, 1",
        }));
    }

    [Test]
    public void Max_idle_releases_a_quiet_group_once_time_passes_its_rowtime_plus_max_idle()
    {
        var (sink, runtime) = Start(App("'K', 'R', 'desc', 'asc', 1500, 0"));
        Push(runtime, [("08:00:00", "x", 1), ("08:00:00", "y", 2)]);
        runtime.AdvanceClock(Tolls.At("08:00:01"));
        Assert.That(sink.Lines("OUT"), Is.Empty, "1 s after the group's ROWTIME is still within maxIdle");
        runtime.AdvanceClock(Tolls.At("08:00:01.500"));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[] { "08:00:00 | y, 2, 1", "08:00:00 | x, 1, 2" }));
    }

    [Test]
    public void Without_max_idle_a_quiet_group_waits_for_the_next_rowtime()
    {
        var (sink, runtime) = Start(App("'X', 'R', 'desc', 'asc', 0, 0"));
        Push(runtime, [("08:00:00", "x", 1)]);
        runtime.AdvanceClock(Tolls.At("09:00:00"));
        Assert.That(sink.Lines("OUT"), Is.Empty);
    }

    [Test]
    public void Rank_column_can_be_selected_by_name_and_a_cursor_column_of_that_name_receives_the_rank()
    {
        var (sink, runtime) = Start(Generic.App("K VARCHAR(8), POS INTEGER",
            """SELECT STREAM K, POS FROM TABLE(GROUP_RANK(CURSOR(SELECT STREAM K, X, CAST(NULL AS INTEGER) AS POS FROM "SOURCE_SQL_STREAM_001"), 'K', 'POS', 'asc', 'asc', 0, 0))"""));
        Push(runtime, [("08:00:00", "q", 1), ("08:00:00", "p", 2), ("08:00:01", "z", 3)]);
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[] { "08:00:00 | p, 1", "08:00:00 | q, 2" }));
    }

    [Test]
    public void An_open_group_survives_a_checkpoint_and_restore()
    {
        var code = App("'X', 'R', 'desc', 'asc', 0, 0");
        var (_, first) = Start(code);
        Push(first, Rows.Take(3));
        var state = first.SaveState();

        var (sink, restored) = Start(code);
        restored.RestoreState(state);
        Push(restored, Rows.Skip(3));
        Assert.That(sink.Lines("OUT").Take(5), Is.EqualTo(new[]
        {
            "08:00:00 | b, 9, 1", "08:00:00 | e, 7, 2", "08:00:00 | a, 5, 3", "08:00:00 | c, 5, 3", "08:00:00 | d, NULL, 5",
        }));
    }

    [TestCase("'X', 'R', 'desc', 'asc', 0", "GROUP_RANK takes CURSOR, 'rankByColumnName'")]
    [TestCase("'NOPE', 'R', 'desc', 'asc', 0, 0", "rank column NOPE not found in the cursor; its columns are K, X")]
    [TestCase("'X', 'R', 'down', 'asc', 0, 0", "sortOrder must be 'asc' or 'desc', not 'down'")]
    [TestCase("'X', 'R', 'asc', 'asc', -1, 0", "maxIdle must be an integer of 0 or more")]
    public void Bad_arguments_are_rejected_naming_the_argument(string args, string message)
    {
        var e = Assert.Throws<SqlCompileException>(() => SqlCompiler.Compile(App(args), [Generic.Input], []))!;
        Assert.That(e.Message, Does.Contain(message));
    }
}
