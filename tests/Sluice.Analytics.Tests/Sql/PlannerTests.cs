using NUnit.Framework;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Tests.Sql;

public class PlannerTests
{
    private static SqlCompileException CompileError(string code) =>
        Assert.Throws<SqlCompileException>(() => SqlCompiler.Compile(code, [Generic.Input], [Tolls.Thresholds]))!;

    [TestCase("SELECT STREAM K FROM NOWHERE", "Stream or table NOWHERE not found", "NOWHERE")]
    [TestCase("SELECT STREAM Z FROM \"SOURCE_SQL_STREAM_001\"", "Column Z not found", "Z FROM")]
    [TestCase("SELECT STREAM \"k\" FROM \"SOURCE_SQL_STREAM_001\"", "Column k not found", "\"k\"")]
    [TestCase("SELECT STREAM NO_SUCH_FN(K) FROM \"SOURCE_SQL_STREAM_001\"", "Function NO_SUCH_FN not found", "NO_SUCH_FN")]
    [TestCase("SELECT STREAM K || X FROM \"SOURCE_SQL_STREAM_001\"", "|| needs character strings", "||")]
    [TestCase("SELECT STREAM K FROM \"SOURCE_SQL_STREAM_001\" WHERE K > 1", "Cannot compare Varchar with Integer", ">")]
    [TestCase("SELECT STREAM K FROM \"SOURCE_SQL_STREAM_001\" WHERE X + 1", "WHERE needs a BOOLEAN condition", "+ 1")]
    [TestCase("SELECT STREAM K FROM \"SOURCE_SQL_STREAM_001\" WHERE COUNT(*) > 1", "Aggregate COUNT is not allowed in WHERE", "COUNT")]
    [TestCase("SELECT STREAM K, COUNT(*) FROM \"SOURCE_SQL_STREAM_001\" GROUP BY X", "needs a monotonic expression", "X")]
    [TestCase("SELECT STREAM X, COUNT(*) FROM \"SOURCE_SQL_STREAM_001\" GROUP BY K, FLOOR(ROWTIME TO MINUTE)", "Column X must appear in GROUP BY", "X,")]
    [TestCase("SELECT STREAM COUNT(DISTINCT K) FROM \"SOURCE_SQL_STREAM_001\" GROUP BY FLOOR(ROWTIME TO MINUTE)", "not supported in streaming aggregation", "COUNT")]
    [TestCase("SELECT K FROM \"SOURCE_SQL_STREAM_001\"", "must be SELECT STREAM", "SELECT")]
    [TestCase("SELECT STREAM AVG(X) OVER nope FROM \"SOURCE_SQL_STREAM_001\"", "Window NOPE is not defined", "OVER")]
    public void Bad_queries_are_rejected_naming_the_problem_and_its_position(string select, string message, string at)
    {
        var e = CompileError(Generic.App("A VARCHAR(8)", select));
        Assert.That(e.Message, Does.Contain(message));
        int column = "CREATE PUMP P AS INSERT INTO OUT ".Length + select.IndexOf(at, StringComparison.Ordinal) + 1;
        Assert.That((e.Line, e.Column), Is.EqualTo((2, column)), e.Message);
    }

    [Test]
    public void Insert_column_count_must_match_the_select_list()
    {
        var e = CompileError(Generic.App("A VARCHAR(8), B INTEGER", "SELECT STREAM K FROM \"SOURCE_SQL_STREAM_001\""));
        Assert.That(e.Message, Does.Contain("INSERT INTO OUT expects 2 columns but the query selects 1"));
    }

    [Test]
    public void Insert_types_must_be_assignable()
    {
        var e = CompileError(Generic.App("A INTEGER", "SELECT STREAM K FROM \"SOURCE_SQL_STREAM_001\""));
        Assert.That(e.Message, Does.Contain("Column A of OUT is Integer and cannot take the selected Varchar"));
    }

    [Test]
    public void A_pump_into_an_unknown_stream_is_rejected()
    {
        var e = CompileError("CREATE PUMP P AS INSERT INTO MISSING SELECT STREAM K FROM \"SOURCE_SQL_STREAM_001\";");
        Assert.That(e.Message, Does.Contain("Stream MISSING not found"));
        Assert.That((e.Line, e.Column), Is.EqualTo((1, 1)));
    }

    [Test]
    public void Insert_into_a_named_column_list_places_values_by_name()
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start("""
            CREATE STREAM OUT (A VARCHAR(8), B INTEGER, C DOUBLE);
            CREATE PUMP P AS INSERT INTO OUT (C, A) SELECT STREAM Y, K FROM "SOURCE_SQL_STREAM_001";
            """, sink);
        runtime.Push("08:00:00", Generic.Row("k1", 1, 2.5));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[] { "08:00:00 | k1, NULL, 2.5" }));
    }

    [Test]
    public void Streams_lists_inputs_created_streams_and_error_stream()
    {
        var program = SqlCompiler.Compile(ExampleApplicationsTests.LowTraffic, [Tolls.Input], [Tolls.Thresholds]);
        Assert.That(program.Streams.Select(s => s.Name), Is.EqualTo(new[] { "SOURCE_SQL_STREAM_001", "BOOTH_VOLUME_30M", "LOW_TRAFFIC_ALERTS", "error_stream" }));
        Assert.That(program.Streams[1].Columns.Select(c => c.Name), Is.EqualTo(new[] { "BOOTH_ID", "WINDOW_START", "VEHICLES" }));
    }

    [Test]
    public void Create_or_replace_keeps_the_last_definition_and_plain_create_twice_is_an_error()
    {
        var program = SqlCompiler.Compile("CREATE STREAM O (A INT); CREATE OR REPLACE STREAM O (A INT, B INT);", [Generic.Input], []);
        Assert.That(program.Streams.Single(s => s.Name == "O").Columns, Has.Count.EqualTo(2));
        Assert.That(() => SqlCompiler.Compile("CREATE STREAM O (A INT); CREATE STREAM O (B INT);", [Generic.Input], []),
            Throws.TypeOf<SqlCompileException>().With.Message.Contains("already exists"));
    }
}
