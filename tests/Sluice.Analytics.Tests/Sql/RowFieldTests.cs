using NUnit.Framework;
using Sluice.Analytics.Sql;
using Sluice.Analytics.Sql.Syntax;

namespace Sluice.Analytics.Tests.Sql;

/// <summary>ROW values from the log-parsing functions and their fields: <c>(expr).COLUMN1</c> and <c>t.r.COLUMN2</c> (reference §8.2).</summary>
public class RowFieldTests
{
    private static readonly SqlStreamSchema Logs = new(Tolls.Source, [new SqlColumn("LINE", SqlType.Parse("VARCHAR(256)"))]);

    private static List<string> Run(string columns, string select, params string?[] lines)
    {
        var sink = new CollectingSink();
        var code = Generic.App(columns, select);
        var runtime = SqlCompiler.Compile(code, [Logs], []).CreateRuntime(new SqlRuntimeOptions { Sink = sink, OutputStreams = new HashSet<string> { "OUT", "error_stream" } });
        for (int i = 0; i < lines.Length; i++)
        {
            runtime.Push(Tolls.Source, new SourceRow(Tolls.At("08:00:00").AddSeconds(i), Tolls.At("08:00:00"), [lines[i]]));
        }

        return sink.Lines("OUT");
    }

    private static SqlCompileException CompileError(string columns, string select) =>
        Assert.Throws<SqlCompileException>(() => SqlCompiler.Compile(Generic.App(columns, select), [Logs], []))!;

    [Test]
    public void Parenthesised_expression_followed_by_a_name_parses_as_field_access()
    {
        var field = (FieldExpr)Parser.ParseExpressionText("(FAST_REGEX_LOG_PARSE(line, '(\\w+) (\\w+)')).COLUMN2");
        Assert.That(field.Field, Is.EqualTo("COLUMN2"));
        Assert.That(((CallExpr)field.Operand).Name, Is.EqualTo("FAST_REGEX_LOG_PARSE"));
        Assert.That(field.At, Is.EqualTo(new Position(1, 44)));
    }

    [Test]
    public void A_call_followed_by_a_quoted_name_parses_as_field_access()
    {
        var field = (FieldExpr)Parser.ParseExpressionText("SYS_LOG_PARSE(line).\"Msg\"");
        Assert.That((field.Field, ((CallExpr)field.Operand).Name), Is.EqualTo(("Msg", "SYS_LOG_PARSE")));
    }

    [Test]
    public void Three_part_names_stay_names_for_the_binder()
    {
        var name = (NameExpr)Parser.ParseExpressionText("t.r.COLUMN2");
        Assert.That(name.Parts, Is.EqualTo(new[] { "T", "R", "COLUMN2" }));
    }

    [Test]
    public void Parenthesised_log_parse_fields_are_typed_varchar_columns_and_a_non_matching_line_gives_nulls()
    {
        var lines = Run("VERB VARCHAR(8), PATH VARCHAR(64)",
            """
            SELECT STREAM (FAST_REGEX_LOG_PARSE(LINE, '(\w+) (\S+) .*')).COLUMN1, (FAST_REGEX_LOG_PARSE(LINE, '(\w+) (\S+) .*')).COLUMN2
            FROM "SOURCE_SQL_STREAM_001"
            """,
            "GET /index.html HTTP/1.1", "garbage", "POST /api/v1 HTTP/2");
        Assert.That(lines, Is.EqualTo(new[]
        {
            "08:00:00 | GET, /index.html",
            "08:00:01 | NULL, NULL",
            "08:00:02 | POST, /api/v1",
        }));
    }

    [Test]
    public void Named_typed_columns_of_regex_log_parse_are_cast_and_usable_in_where()
    {
        var lines = Run("USER_NAME VARCHAR(16), BYTES BIGINT",
            """
            SELECT STREAM (REGEX_LOG_PARSE(LINE, '(\w+) sent (\d+) bytes', 'USER_NAME VARCHAR(16), BYTES BIGINT')).USER_NAME,
                          (REGEX_LOG_PARSE(LINE, '(\w+) sent (\d+) bytes', 'USER_NAME VARCHAR(16), BYTES BIGINT')).BYTES * 2
            FROM "SOURCE_SQL_STREAM_001"
            WHERE (REGEX_LOG_PARSE(LINE, '(\w+) sent (\d+) bytes', 'USER_NAME VARCHAR(16), BYTES BIGINT')).BYTES > 100
            """,
            "alice sent 512 bytes", "bob sent 7 bytes", "carol sent 101 bytes");
        Assert.That(lines, Is.EqualTo(new[] { "08:00:00 | alice, 1024", "08:00:02 | carol, 202" }));
    }

    [Test]
    public void Stream_column_field_reads_a_row_column_of_a_subquery()
    {
        var lines = Run("HOST VARCHAR(32), CODE INTEGER",
            """
            SELECT STREAM t.r.COLUMN1, CAST(t.r.COLUMN3 AS INTEGER)
            FROM (SELECT STREAM VARIABLE_COLUMN_LOG_PARSE(LINE, 3, '|') AS r FROM "SOURCE_SQL_STREAM_001") AS t
            WHERE t.r.COLUMN2 = 'GET'
            """,
            "web-1|GET|200", "web-2|PUT|201", "web-3|GET|404");
        Assert.That(lines, Is.EqualTo(new[] { "08:00:00 | web-1, 200", "08:00:02 | web-3, 404" }));
    }

    [Test]
    public void Row_column_field_reads_without_a_stream_qualifier()
    {
        var lines = Run("A VARCHAR(8)",
            """
            SELECT STREAM r.COLUMN2 FROM (SELECT STREAM VARIABLE_COLUMN_LOG_PARSE(LINE, 2, ',') AS r FROM "SOURCE_SQL_STREAM_001")
            """,
            "x,y");
        Assert.That(lines, Is.EqualTo(new[] { "08:00:00 | y" }));
    }

    [Test]
    public void Reading_an_unknown_field_names_the_fields_the_row_has()
    {
        var e = CompileError("A VARCHAR(8)", """SELECT STREAM (FAST_REGEX_LOG_PARSE(LINE, '(a)(b)')).COLUMN3 FROM "SOURCE_SQL_STREAM_001" """);
        Assert.That(e.Message, Does.Contain("no field COLUMN3").And.Contain("COLUMN1, COLUMN2").And.Contain("line 2, column 86"));
    }

    [Test]
    public void A_field_of_a_non_row_value_is_rejected()
    {
        var e = CompileError("A VARCHAR(8)", """SELECT STREAM (LINE).COLUMN1 FROM "SOURCE_SQL_STREAM_001" """);
        Assert.That(e.Message, Does.Contain("Cannot read field COLUMN1 of a Varchar value"));
    }

    [Test]
    public void A_whole_row_cannot_be_inserted_into_a_stream_column()
    {
        Assert.Throws<SqlCompileException>(() => SqlCompiler.Compile(
            Generic.App("A VARCHAR(64)", """SELECT STREAM SYS_LOG_PARSE(LINE) FROM "SOURCE_SQL_STREAM_001" """), [Logs], []));
    }

    [Test]
    public void Log_parse_pattern_arguments_must_be_literals()
    {
        var e = CompileError("A VARCHAR(8)", """SELECT STREAM (FAST_REGEX_LOG_PARSE(LINE, LINE)).COLUMN1 FROM "SOURCE_SQL_STREAM_001" """);
        Assert.That(e.Message, Does.Contain("Argument 2 of FAST_REGEX_LOG_PARSE must be a literal"));
    }

    [Test]
    public void Rows_from_different_parsers_do_not_mix_in_case()
    {
        var e = CompileError("A VARCHAR(8)",
            """SELECT STREAM (CASE WHEN LINE = 'x' THEN SYS_LOG_PARSE(LINE) ELSE FAST_REGEX_LOG_PARSE(LINE, '(a)') END).COLUMN1 FROM "SOURCE_SQL_STREAM_001" """);
        Assert.That(e.Message, Does.Contain("CASE branches have different types: Row and Row"));
    }

    [Test]
    public void A_row_value_cannot_be_a_group_by_key_but_its_fields_can()
    {
        var e = CompileError("A VARCHAR(8), N BIGINT",
            """SELECT STREAM MIN((FAST_REGEX_LOG_PARSE(LINE, '(a)')).COLUMN1), COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY FAST_REGEX_LOG_PARSE(LINE, '(a)'), STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' MINUTE)""");
        Assert.That(e.Message, Does.Contain("Cannot group by a ROW value").And.Contain("line 2"));
        Assert.That(() => SqlCompiler.Compile(Generic.App("A VARCHAR(8), N BIGINT",
            """SELECT STREAM (FAST_REGEX_LOG_PARSE(LINE, '(a)')).COLUMN1, COUNT(*) FROM "SOURCE_SQL_STREAM_001" GROUP BY (FAST_REGEX_LOG_PARSE(LINE, '(a)')).COLUMN1, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' MINUTE)"""), [Logs], []), Throws.Nothing);
    }
}
