using NUnit.Framework;
using Sluice.Analytics.Sql;
using Sluice.Analytics.Sql.Syntax;

namespace Sluice.Analytics.Tests.Sql;

public class ParserTests
{
    [Test]
    public void Create_stream_reads_columns_types_not_null_and_description()
    {
        var statement = (CreateStreamStatement)Parser.ParseProgram("""
            CREATE OR REPLACE STREAM "Out" (a VARCHAR(8) NOT NULL, "b" DECIMAL(10,2), c TIMESTAMP, d DOUBLE PRECISION) DESCRIPTION 'x';
            """).Single();
        Assert.That(statement.Name, Is.EqualTo("Out"));
        Assert.That(statement.OrReplace, Is.True);
        Assert.That(statement.Columns.Select(c => (c.Name, c.Type, c.NotNull)), Is.EqualTo(new[]
        {
            ("A", new SqlType(SqlTypeKind.Varchar, Length: 8), true),
            ("b", new SqlType(SqlTypeKind.Decimal, Precision: 10, Scale: 2), false),
            ("C", new SqlType(SqlTypeKind.Timestamp), false),
            ("D", new SqlType(SqlTypeKind.Double), false),
        }));
    }

    [Test]
    public void Create_pump_reads_the_target_its_column_list_and_the_query()
    {
        var pump = (CreatePumpStatement)Parser.ParseProgram("""
            CREATE PUMP p DESCRIPTION 'moves rows' AS INSERT INTO "OUT" (x, "y") SELECT STREAM a, b FROM s WHERE a > 1;
            """).Single();
        Assert.That((pump.Name, pump.Target, pump.OrReplace), Is.EqualTo(("P", "OUT", false)));
        Assert.That(pump.Columns!.Select(c => c.Name), Is.EqualTo(new[] { "X", "y" }));
        var select = (SelectQuery)pump.Query;
        Assert.That(select.Stream, Is.True);
        Assert.That(select.Items, Has.Count.EqualTo(2));
        Assert.That(select.Where, Is.TypeOf<BinaryExpr>());
    }

    [Test]
    public void Every_query_clause_of_the_dialect_parses()
    {
        var statements = Parser.ParseProgram("""
            CREATE PUMP p1 AS INSERT INTO o
              SELECT STREAM DISTINCT k, COUNT(*) AS n, SUM(x) FROM s AS a
              WHERE x BETWEEN 1 AND 10 AND k IN ('a', 'b') AND k LIKE 'a%' AND k NOT SIMILAR TO '(x|y)*' AND y IS NOT NULL
                AND k IS DISTINCT FROM 'z' AND CASE WHEN x > 1 THEN TRUE ELSE FALSE END
              GROUP BY k, STEP(a.ROWTIME BY INTERVAL '10' SECOND), FLOOR(a.ROWTIME TO MINUTE)
              HAVING COUNT(*) > 2;
            CREATE PUMP p2 AS INSERT INTO o
              SELECT STREAM k, AVG(x) OVER w, LAG(x, 2, 0) OVER (PARTITION BY k ROWS 3 PRECEDING) FROM s
              WINDOW w AS (PARTITION BY k RANGE INTERVAL '5' MINUTE PRECEDING);
            CREATE PUMP p3 AS INSERT INTO o
              SELECT STREAM k, COUNT(*) FROM s WINDOWED BY STAGGER (PARTITION BY k RANGE INTERVAL '1' MINUTE) HAVING COUNT(*) > 1;
            CREATE PUMP p4 AS INSERT INTO o
              SELECT STREAM o.id, t.price FROM orders AS o JOIN trades OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS t ON o.k = t.k
              LEFT OUTER JOIN ref r ON r.k = o.k;
            CREATE PUMP p5 AS INSERT INTO o
              SELECT STREAM * FROM (SELECT STREAM x FROM a UNION ALL SELECT STREAM x FROM b) AS u ORDER BY FLOOR(u.ROWTIME TO SECOND), x DESC;
            CREATE PUMP p6 AS INSERT INTO o
              SELECT STREAM * FROM TABLE(RANDOM_CUT_FOREST(CURSOR(SELECT STREAM * FROM s), 100, 256, 100000, 1));
            CREATE PUMP p7 AS INSERT INTO o
              SELECT STREAM CAST(x AS VARCHAR(10)) || 'a', EXTRACT(HOUR FROM t), CEIL(t TO HOUR), (t - ROWTIME) MINUTE,
                     t + INTERVAL '1:30' HOUR TO MINUTE, TIMESTAMP '2024-05-01 08:00:00', COALESCE(x, 0), NULLIF(x, 1),
                     TRIM(LEADING '0' FROM k), SUBSTRING(k FROM 2 FOR 3), POSITION('a' IN k), ROWTIME AS ROWTIME,
                     CURRENT_ROW_TIMESTAMP, -x * (2 + 3) / 4, CASE k WHEN 'a' THEN 1 WHEN 'b' THEN 2 END
              FROM s;
            """);
        Assert.That(statements, Has.Count.EqualTo(7));
        var p1 = (SelectQuery)((CreatePumpStatement)statements[0]).Query;
        Assert.That((p1.Distinct, p1.GroupBy.Count, p1.Having is not null), Is.EqualTo((true, 3, true)));
        var p2 = (SelectQuery)((CreatePumpStatement)statements[1]).Query;
        Assert.That(p2.Windows["W"].Range, Is.Not.Null);
        var p3 = (SelectQuery)((CreatePumpStatement)statements[2]).Query;
        Assert.That(p3.Stagger!.PartitionBy, Has.Count.EqualTo(1));
        var p4 = (SelectQuery)((CreatePumpStatement)statements[3]).Query;
        Assert.That(((JoinFrom)p4.From).Kind, Is.EqualTo("LEFT"));
        Assert.That(((NamedFrom)((JoinFrom)((JoinFrom)p4.From).Left).Right).Over, Is.Not.Null);
        var p5 = (SelectQuery)((CreatePumpStatement)statements[4]).Query;
        Assert.That(((SubqueryFrom)p5.From).Query, Is.TypeOf<UnionQuery>());
        Assert.That(p5.OrderBy[1].Descending, Is.True);
        var p6 = (SelectQuery)((CreatePumpStatement)statements[5]).Query;
        Assert.That(((TableFunctionFrom)p6.From).Args, Has.Count.EqualTo(4));
        var p7 = (SelectQuery)((CreatePumpStatement)statements[6]).Query;
        Assert.That(p7.Items[4].Expr, Is.TypeOf<BinaryExpr>());
        Assert.That(((LiteralExpr)((BinaryExpr)p7.Items[4].Expr!).Right).Value, Is.EqualTo(TimeSpan.FromMinutes(90)));
        Assert.That(p7.Items[11].Alias, Is.EqualTo("ROWTIME"));
    }

    [TestCase("INTERVAL '10' MINUTE", 600_000)]
    [TestCase("INTERVAL '1:30' HOUR TO MINUTE", 5_400_000)]
    [TestCase("INTERVAL '2 03:00:01.5' DAY TO SECOND", 183_601_500)]
    [TestCase("INTERVAL '30' SECOND", 30_000)]
    public void Interval_literals_become_day_to_second_values(string text, long milliseconds)
    {
        var literal = (LiteralExpr)Parser.ParseExpressionText(text);
        Assert.That(literal.Value, Is.EqualTo(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [Test]
    public void Year_month_intervals_count_months()
    {
        Assert.That(((LiteralExpr)Parser.ParseExpressionText("INTERVAL '1-6' YEAR TO MONTH")).Value, Is.EqualTo(18));
    }

    [TestCase("CREATE STREAM s (a INTEGER", 1, 27, "Expected ')'")]
    [TestCase("CREATE STREAM s (a NOTATYPE);", 1, 20, "Unknown type NOTATYPE")]
    [TestCase("CREATE STREAM s (ROWTIME TIMESTAMP);", 1, 18, "ROWTIME is implicit")]
    [TestCase("CREATE PUMP p AS\n  INSERT INTO o SELECT STREAM a FROM;", 2, 37, "Expected a name")]
    [TestCase("CREATE PUMP p AS INSERT INTO o\nSELECT STREAM a,, b FROM s;", 2, 17, "Unexpected ,")]
    [TestCase("CREATE TABLE t (a INT);", 1, 8, "Expected STREAM, PUMP or FUNCTION")]
    [TestCase("CREATE PUMP p AS INSERT INTO o SELECT STREAM a FROM s WINDOW w AS (ROWS 2 FOLLOWING);", 1, 75, "FOLLOWING")]
    [TestCase("CREATE PUMP p AS INSERT INTO o SELECT STREAM a FROM s\n WHERE x = INTERVAL 'abc' MINUTE;", 2, 21, "Invalid interval literal")]
    [TestCase("CREATE STREAM s (a VARCHAR);", 1, 27, "VARCHAR needs a length")]
    [TestCase("CREATE STREAM s (a INT) CREATE STREAM t (b INT);", 1, 25, "Expected ';'")]
    public void Malformed_statements_are_rejected_with_line_and_column(string code, int line, int column, string message)
    {
        var e = Assert.Throws<SqlCompileException>(() => Parser.ParseProgram(code))!;
        Assert.That(e.Message, Does.Contain(message));
        Assert.That((e.Line, e.Column), Is.EqualTo((line, column)), e.Message);
    }

    [TestCase("VARCHAR(16)", SqlTypeKind.Varchar, 16, 0, 0)]
    [TestCase("varchar(8)", SqlTypeKind.Varchar, 8, 0, 0)]
    [TestCase("DECIMAL(8,2)", SqlTypeKind.Decimal, 0, 8, 2)]
    [TestCase("INTEGER", SqlTypeKind.Integer, 0, 0, 0)]
    [TestCase("INT", SqlTypeKind.Integer, 0, 0, 0)]
    [TestCase("BIGINT", SqlTypeKind.BigInt, 0, 0, 0)]
    [TestCase("DOUBLE", SqlTypeKind.Double, 0, 0, 0)]
    [TestCase("REAL", SqlTypeKind.Real, 0, 0, 0)]
    [TestCase("TIMESTAMP", SqlTypeKind.Timestamp, 0, 0, 0)]
    [TestCase("BOOLEAN", SqlTypeKind.Boolean, 0, 0, 0)]
    [TestCase("CHAR(3)", SqlTypeKind.Char, 3, 0, 0)]
    [TestCase("VARBINARY(32)", SqlTypeKind.Varbinary, 32, 0, 0)]
    [TestCase("TINYINT", SqlTypeKind.TinyInt, 0, 0, 0)]
    [TestCase("DATE", SqlTypeKind.Date, 0, 0, 0)]
    public void SqlType_parses_record_column_types(string text, SqlTypeKind kind, int length, int precision, int scale)
    {
        var expected = kind == SqlTypeKind.Decimal ? new SqlType(kind, Precision: precision, Scale: scale) : new SqlType(kind, Length: length);
        Assert.That(SqlType.Parse(text), Is.EqualTo(expected));
    }

    [TestCase("VARCHAR")]
    [TestCase("VARCHAR(0)")]
    [TestCase("STRING")]
    [TestCase("INTEGER EXTRA")]
    [TestCase("")]
    public void SqlType_rejects_text_that_is_not_a_type(string text)
    {
        Assert.That(() => SqlType.Parse(text), Throws.TypeOf<FormatException>().With.Message.Contains($"'{text}'"));
        Assert.That(SqlType.TryParse(text, out _), Is.False);
    }
}
