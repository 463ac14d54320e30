using NUnit.Framework;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Tests.Sql;

/// <summary>Operators reuse one output row only where nothing after them keeps it: rows buffered downstream keep their own values.</summary>
public class RowReuseTests
{
    [Test]
    public void Rows_inserted_into_a_stream_that_another_pump_buffers_keep_their_values()
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start("""
            CREATE STREAM MID (K VARCHAR(8), X BIGINT);
            CREATE PUMP P1 AS INSERT INTO MID SELECT STREAM K, X * 10 FROM "SOURCE_SQL_STREAM_001";
            CREATE STREAM OUT (K VARCHAR(8), X BIGINT, P BIGINT, F BIGINT);
            CREATE PUMP P2 AS INSERT INTO OUT
              SELECT STREAM K, X, LAG(X) OVER w, NTH_VALUE(X, 1) OVER w FROM MID WINDOW w AS (PARTITION BY K ROWS 2 PRECEDING);
            """, sink);
        runtime.Push("08:00:01", Generic.Row("a", 1));
        runtime.Push("08:00:02", Generic.Row("a", 2));
        runtime.Push("08:00:03", Generic.Row("a", 3));
        runtime.Push("08:00:04", Generic.Row("a", 4));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[]
        {
            "08:00:01 | a, 10, NULL, 10",
            "08:00:02 | a, 20, 10, 10",
            "08:00:03 | a, 30, 20, 10",
            "08:00:04 | a, 40, 30, 20",
        }));
    }

    [Test]
    public void Grouped_rows_sorted_by_order_by_keep_their_own_values()
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start("""
            CREATE STREAM MID (K VARCHAR(8), N BIGINT, S BIGINT);
            CREATE PUMP P1 AS INSERT INTO MID
              SELECT STREAM K, COUNT(*), SUM(X) FROM "SOURCE_SQL_STREAM_001" AS s GROUP BY K, FLOOR(s.ROWTIME TO MINUTE);
            CREATE STREAM OUT (K VARCHAR(8), N BIGINT, S BIGINT);
            CREATE PUMP P2 AS INSERT INTO OUT SELECT STREAM * FROM MID ORDER BY FLOOR(MID.ROWTIME TO MINUTE), S DESC;
            """, sink);
        runtime.Push("08:00:01", Generic.Row("a", 1));
        runtime.Push("08:00:02", Generic.Row("b", 5));
        runtime.Push("08:00:03", Generic.Row("c", 3));
        runtime.Push("08:00:04", Generic.Row("b", 5));
        runtime.AdvanceClock(Tolls.At("08:03:00"));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[]
        {
            "08:01:00 | b, 2, 10",
            "08:01:00 | c, 1, 3",
            "08:01:00 | a, 1, 1",
        }));
    }
}
