using NUnit.Framework;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Tests.Sql;

public class ExecutionTests
{
    private const string From = "FROM \"SOURCE_SQL_STREAM_001\"";

    private static List<string> Run(string columns, string select, params (string Time, object?[] Values)[] rows)
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start(Generic.App(columns, select), sink);
        foreach (var (time, values) in rows)
        {
            runtime.Push(time, values);
        }

        runtime.AdvanceClock(Tolls.At("23:59:59"));
        return sink.Lines("OUT");
    }

    [Test]
    public void Null_logic_is_three_valued()
    {
        var lines = Run("A BOOLEAN, B BOOLEAN, C BOOLEAN, E BOOLEAN",
            $"SELECT STREAM X > 1 AND Y > 1, X > 1 OR Y > 1, NOT (X > 1), (X > 1) IS NULL {From}",
            ("08:00:00", Generic.Row("a", null, 0.5)),
            ("08:00:01", Generic.Row("a", null, 2.0)),
            ("08:00:02", Generic.Row("a", 5, null)));
        Assert.That(lines, Is.EqualTo(new[]
        {
            "08:00:00 | FALSE, NULL, NULL, TRUE",
            "08:00:01 | NULL, TRUE, NULL, TRUE",
            "08:00:02 | NULL, TRUE, FALSE, FALSE",
        }));
    }

    [Test]
    public void Integer_division_truncates_and_division_by_zero_diverts_the_row_to_error_stream()
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start(Generic.App("Q BIGINT, R DOUBLE", $"SELECT STREAM X / 2, Y / X {From}"), sink);
        runtime.Push("08:00:00", Generic.Row("a", 7, 3.0));
        runtime.Push("08:00:01", Generic.Row("a", -7, 3.0));
        runtime.Push("08:00:02", Generic.Row("a", 0, 3.0));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[] { "08:00:00 | 3, 0.429", "08:00:01 | -3, -0.429" }));
        var error = sink.Rows.Single(r => r.Stream == "error_stream");
        Assert.That(error.Values[2], Is.EqualTo("DIVISION_BY_ZERO"));
        Assert.That(error.Values[4], Is.EqualTo(Tolls.At("08:00:02")));
        Assert.That(error.Values[6], Is.EqualTo("P"));
    }

    [Test]
    public void Predicates_cover_between_in_like_similar_distinct_and_case()
    {
        var lines = Run("A BOOLEAN, B BOOLEAN, C BOOLEAN, E BOOLEAN, F BOOLEAN, G VARCHAR(8), H INTEGER",
            $"""
            SELECT STREAM X BETWEEN 2 AND 4, K IN ('ab', 'cd'), K LIKE 'a_%', K SIMILAR TO '(ab|xy)+', X IS DISTINCT FROM 3,
                   CASE WHEN X > 3 THEN 'big' WHEN X > 1 THEN 'mid' ELSE 'small' END, CASE K WHEN 'ab' THEN 1 ELSE 0 END
            {From}
            """,
            ("08:00:00", Generic.Row("ab", 3)),
            ("08:00:01", Generic.Row("xyxy", 5)),
            ("08:00:02", Generic.Row("a", null)));
        Assert.That(lines, Is.EqualTo(new[]
        {
            "08:00:00 | TRUE, TRUE, TRUE, TRUE, FALSE, mid, 1",
            "08:00:01 | FALSE, FALSE, FALSE, TRUE, TRUE, big, 0",
            "08:00:02 | NULL, FALSE, FALSE, FALSE, TRUE, small, 0",
        }));
    }

    [Test]
    public void Time_expressions_floor_step_extract_and_interval_arithmetic()
    {
        var t = Tolls.At("08:47:31.250");
        var lines = Run("A TIMESTAMP, B TIMESTAMP, C BIGINT, E TIMESTAMP, F BIGINT, G TIMESTAMP, H TIMESTAMP",
            $"""
            SELECT STREAM FLOOR(T TO HOUR), STEP(T BY INTERVAL '15' MINUTE), EXTRACT(MINUTE FROM T), T + INTERVAL '1:30' HOUR TO MINUTE,
                   EXTRACT(MINUTE FROM (ROWTIME - T) MINUTE), CEIL(T TO MINUTE), STEP(ROWTIME BY INTERVAL '10' SECOND)
            {From}
            """,
            ("09:00:05", Generic.Row("a", 1, t: t)));
        Assert.That(lines, Is.EqualTo(new[]
        {
            "09:00:05 | 2024-05-01 08:00:00, 2024-05-01 08:45:00, 47, 2024-05-01 10:17:31.250, 12, 2024-05-01 08:48:00, 2024-05-01 09:00:00",
        }));
    }

    [Test]
    public void Cast_coalesce_nullif_concat_and_scalar_functions()
    {
        var lines = Run("A VARCHAR(20), B INTEGER, C INTEGER, E VARCHAR(20), F DOUBLE",
            $"SELECT STREAM CAST(X AS VARCHAR(5)) || '-' || UPPER(K), COALESCE(X, -1), NULLIF(X, 2), SUBSTRING(K FROM 2 FOR 2), ABS(Y) {From}",
            ("08:00:00", Generic.Row("abcd", 2, -1.5)),
            ("08:00:01", Generic.Row("xy", null, 2.0)));
        Assert.That(lines, Is.EqualTo(new[] { "08:00:00 | 2-ABCD, 2, NULL, bc, 1.5", "08:00:01 | NULL, -1, NULL, y, 2" }));
    }

    [Test]
    public void A_bad_cast_diverts_the_row_to_error_stream()
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start(Generic.App("A INTEGER", $"SELECT STREAM CAST(K AS INTEGER) {From}"), sink);
        runtime.Push("08:00:00", Generic.Row("12", 1));
        runtime.Push("08:00:01", Generic.Row("twelve", 1));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[] { "08:00:00 | 12" }));
        Assert.That(sink.Rows.Single(r => r.Stream == "error_stream").Values[2], Is.EqualTo("CAST"));
    }

    [Test]
    public void Explicit_rowtime_that_goes_backwards_is_rejected_to_error_stream()
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start(Generic.App("K VARCHAR(8)", $"SELECT STREAM T AS ROWTIME, K {From}"), sink);
        runtime.Push("08:00:00", Generic.Row("a", 1, t: Tolls.At("07:00:00")));
        runtime.Push("08:00:01", Generic.Row("b", 1, t: Tolls.At("07:30:00")));
        runtime.Push("08:00:02", Generic.Row("late", 1, t: Tolls.At("07:10:00")));
        runtime.Push("08:00:03", Generic.Row("c", 1, t: Tolls.At("07:30:00")));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[] { "07:00:00 | a", "07:30:00 | b", "07:30:00 | c" }));
        var error = sink.Rows.Single(r => r.Stream == "error_stream");
        Assert.That(error.Values[2], Is.EqualTo("OUT_OF_ORDER"));
        Assert.That(error.Values[4], Is.EqualTo(Tolls.At("07:10:00")));
    }

    [Test]
    public void Tumbling_group_by_floor_with_having_and_an_event_time_second_step()
    {
        var lines = Run("W TIMESTAMP, E TIMESTAMP, K VARCHAR(8), N BIGINT, S BIGINT, M INTEGER, A BIGINT",
            $"""
            SELECT STREAM FLOOR(s.ROWTIME TO MINUTE), STEP(s.T BY INTERVAL '1' MINUTE), K, COUNT(*), SUM(X), MAX(X), AVG(X)
            FROM "SOURCE_SQL_STREAM_001" AS s
            GROUP BY K, FLOOR(s.ROWTIME TO MINUTE), STEP(s.T BY INTERVAL '1' MINUTE)
            HAVING COUNT(*) >= 2
            """,
            ("08:00:10", Generic.Row("a", 1, t: Tolls.At("08:00:05"))),
            ("08:00:20", Generic.Row("a", 4, t: Tolls.At("08:00:15"))),
            ("08:00:30", Generic.Row("b", 5, t: Tolls.At("08:00:25"))),
            ("08:00:40", Generic.Row("a", 10, t: Tolls.At("07:59:50"))),
            ("08:00:50", Generic.Row("a", 20, t: Tolls.At("07:59:55"))),
            ("08:01:10", Generic.Row("a", 7, t: Tolls.At("08:01:05"))),
            ("08:01:20", Generic.Row("a", 8, t: Tolls.At("08:01:05"))));
        Assert.That(lines, Is.EqualTo(new[]
        {
            "08:01:00 | 2024-05-01 08:00:00, 2024-05-01 08:00:00, a, 2, 5, 4, 2",
            "08:01:00 | 2024-05-01 08:00:00, 2024-05-01 07:59:00, a, 2, 30, 20, 15",
            "08:02:00 | 2024-05-01 08:01:00, 2024-05-01 08:01:00, a, 2, 15, 8, 7",
        }));
    }

    [Test]
    public void Statistical_and_boolean_aggregates()
    {
        var lines = Run("VP DOUBLE, VS DOUBLE, SP DOUBLE, SS DOUBLE, F INTEGER, L INTEGER, AN BOOLEAN, EV BOOLEAN",
            $"""
            SELECT STREAM VAR_POP(Y), VAR_SAMP(Y), STDDEV_POP(Y), STDDEV_SAMP(Y), FIRST_VALUE(X), LAST_VALUE(X), ANY(X > 2), EVERY(X > 2)
            {From} GROUP BY STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' HOUR)
            """,
            ("08:00:00", Generic.Row("a", 1, 2.0)),
            ("08:10:00", Generic.Row("a", 3, 4.0)),
            ("08:20:00", Generic.Row("a", 5, 4.0)),
            ("08:30:00", Generic.Row("a", 4, 6.0)));
        Assert.That(lines, Is.EqualTo(new[] { "09:00:00 | 2, 2.667, 1.414, 1.633, 1, 4, TRUE, FALSE" }));
    }

    [Test]
    public void Rows_window_lag_and_nth_value()
    {
        var lines = Run("K VARCHAR(8), X INTEGER, P INTEGER, N BIGINT, F INTEGER, S BIGINT",
            $"SELECT STREAM K, X, LAG(X) OVER w, COUNT(*) OVER w, NTH_VALUE(X, 1) OVER w, SUM(X) OVER w {From} WINDOW w AS (PARTITION BY K ROWS 2 PRECEDING)",
            ("08:00:00", Generic.Row("a", 1)),
            ("08:00:01", Generic.Row("b", 10)),
            ("08:00:02", Generic.Row("a", 2)),
            ("08:00:03", Generic.Row("a", 3)),
            ("08:00:04", Generic.Row("a", 4)));
        Assert.That(lines, Is.EqualTo(new[]
        {
            "08:00:00 | a, 1, NULL, 1, 1, 1",
            "08:00:01 | b, 10, NULL, 1, 10, 10",
            "08:00:02 | a, 2, 1, 2, 1, 3",
            "08:00:03 | a, 3, 2, 3, 1, 6",
            "08:00:04 | a, 4, 3, 3, 2, 9",
        }));
    }

    [Test]
    public void Sliding_min_and_max_forget_rows_that_leave_the_range()
    {
        var lines = Run("X INTEGER, LO INTEGER, HI INTEGER",
            $"SELECT STREAM X, MIN(X) OVER w, MAX(X) OVER w {From} WINDOW w AS (RANGE INTERVAL '1' MINUTE PRECEDING)",
            ("08:00:00", Generic.Row("a", 9)),
            ("08:00:30", Generic.Row("a", 1)),
            ("08:01:10", Generic.Row("a", 5)),
            ("08:01:40", Generic.Row("a", 6)));
        Assert.That(lines, Is.EqualTo(new[] { "08:00:00 | 9, 9, 9", "08:00:30 | 1, 1, 9", "08:01:10 | 5, 1, 5", "08:01:40 | 6, 5, 6" }));
    }

    [Test]
    public void Union_all_subquery_and_select_distinct()
    {
        var lines = Run("K VARCHAR(8)",
            $"""
            SELECT STREAM DISTINCT u.K FROM (
                SELECT STREAM K {From} WHERE X > 0
                UNION ALL
                SELECT STREAM 'neg' {From} WHERE X < 0) AS u
            """,
            ("08:00:00", Generic.Row("a", 1)),
            ("08:00:00", Generic.Row("a", 2)),
            ("08:00:00", Generic.Row("b", -1)),
            ("08:00:00", Generic.Row("c", -2)),
            ("08:00:01", Generic.Row("a", 3)));
        Assert.That(lines, Is.EqualTo(new[] { "08:00:00 | a", "08:00:00 | neg", "08:00:01 | a" }));
    }

    [Test]
    public void Left_outer_join_with_a_reference_table_fills_nulls_and_an_inner_join_drops_unmatched_rows()
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start("""
            CREATE STREAM OUT (K VARCHAR(8), M INTEGER);
            CREATE STREAM INNER_OUT (K VARCHAR(8), M INTEGER);
            CREATE PUMP P AS INSERT INTO OUT
              SELECT STREAM s.K, t.MIN_VEHICLES FROM "SOURCE_SQL_STREAM_001" AS s LEFT OUTER JOIN BOOTH_THRESHOLDS AS t ON s.K = t.BOOTH_ID;
            CREATE PUMP P2 AS INSERT INTO INNER_OUT
              SELECT STREAM s.K, t.MIN_VEHICLES FROM "SOURCE_SQL_STREAM_001" AS s JOIN BOOTH_THRESHOLDS AS t ON s.K = t.BOOTH_ID;
            """, sink, [Tolls.Thresholds]);
        runtime.LoadReferenceTable("BOOTH_THRESHOLDS", [["B07", 120L], ["B08", 40L]]);
        runtime.Push("08:00:00", Generic.Row("B07", 1));
        runtime.Push("08:00:01", Generic.Row("B99", 1));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[] { "08:00:00 | B07, 120", "08:00:01 | B99, NULL" }));

        runtime.LoadReferenceTable("BOOTH_THRESHOLDS", [["B99", 5L]]);
        runtime.Push("08:00:02", Generic.Row("B99", 1));
        Assert.That(sink.Lines("OUT")[^1], Is.EqualTo("08:00:02 | B99, 5"), "a reloaded table takes effect for later rows");
    }

    [Test]
    public void Windowed_stream_to_stream_join_matches_rows_within_the_window()
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start("""
            CREATE STREAM TRADES (K VARCHAR(8), PRICE INTEGER);
            CREATE STREAM ORDERS (K VARCHAR(8), QTY INTEGER);
            CREATE STREAM OUT (K VARCHAR(8), QTY INTEGER, PRICE INTEGER);
            CREATE PUMP PT AS INSERT INTO TRADES SELECT STREAM K, X FROM "SOURCE_SQL_STREAM_001" WHERE Y = 1;
            CREATE PUMP PO AS INSERT INTO ORDERS SELECT STREAM K, X FROM "SOURCE_SQL_STREAM_001" WHERE Y = 2;
            CREATE PUMP P AS INSERT INTO OUT
              SELECT STREAM o.K, o.QTY, t.PRICE FROM ORDERS AS o JOIN TRADES OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS t ON o.K = t.K;
            """, sink);
        runtime.Push("08:00:00", Generic.Row("a", 100, 1.0));
        runtime.Push("08:00:30", Generic.Row("b", 200, 1.0));
        runtime.Push("08:00:40", Generic.Row("a", 5, 2.0));
        runtime.Push("08:01:10", Generic.Row("a", 6, 2.0));
        runtime.Push("08:01:20", Generic.Row("b", 7, 2.0));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[] { "08:00:40 | a, 5, 100", "08:01:20 | b, 7, 200" }));
    }

    [Test]
    public void Current_row_timestamp_reads_the_runtime_clock()
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start(Generic.App("C TIMESTAMP", $"SELECT STREAM CURRENT_ROW_TIMESTAMP {From}"), sink);
        runtime.AdvanceClock(Tolls.At("09:00:00"));
        runtime.Push("08:00:00", Generic.Row("a", 1));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[] { "08:00:00 | 2024-05-01 09:00:00" }));
    }

    [Test]
    public void Fan_in_from_two_pumps_waits_for_both_before_downstream_windows_close()
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start("""
            CREATE STREAM MID (K VARCHAR(8));
            CREATE STREAM OUT (N BIGINT);
            CREATE PUMP A AS INSERT INTO MID SELECT STREAM K FROM "SOURCE_SQL_STREAM_001" WHERE X = 1;
            CREATE PUMP B AS INSERT INTO MID SELECT STREAM K FROM "SOURCE_SQL_STREAM_001" WHERE X = 2;
            CREATE PUMP C AS INSERT INTO OUT SELECT STREAM COUNT(*) FROM MID GROUP BY FLOOR(MID.ROWTIME TO MINUTE);
            """, sink);
        runtime.Push("08:00:10", Generic.Row("a", 1));
        runtime.Push("08:00:20", Generic.Row("b", 2));
        runtime.AdvanceClock(Tolls.At("08:01:00"));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[] { "08:01:00 | 2" }));
    }
}
