using NUnit.Framework;
using Sluice.Analytics.Sql.Functions;
using Sluice.Analytics.Sql.Functions.Scalar;

namespace Sluice.Analytics.Tests.Functions;

public sealed class LogParsingTests
{
    [Test]
    public void Fast_regex_log_parse_matches_lazily_and_names_columns_by_group()
    {
        var parser = LogParser.FastRegex("(.*)_(._.*)_(.*)");
        Assert.That(parser.Columns.Select(c => c.Name), Is.EqualTo(new[] { "COLUMN1", "COLUMN2", "COLUMN3" }));
        Assert.That(parser.Columns[0].SqlType, Is.EqualTo("VARCHAR(1024)"));
        Assert.That(parser.Parse("a_b_c_d_e"), Is.EqualTo(new[] { "a", "b_c", "d_e" }));
        Assert.That(parser.Parse("nomatch"), Is.Null);
        Assert.That(parser.Parse(null), Is.Null);
    }

    [Test]
    public void Regex_log_parse_is_greedy_and_takes_column_names()
    {
        var parser = LogParser.Regex("(.*)_(._.*)_(.*)", "FIRST VARCHAR(10), \"second\" VARCHAR(10), THIRD DECIMAL(10,2)");
        Assert.That(parser.Columns, Is.EqualTo(new[] { new LogColumn("FIRST", "VARCHAR(10)"), new LogColumn("second", "VARCHAR(10)"), new LogColumn("THIRD", "DECIMAL(10,2)") }));
        Assert.That(parser.Parse("a_b_c_d_e"), Is.EqualTo(new[] { "a_b", "c_d", "e" }));
        Assert.Throws<SqlFunctionException>(() => LogParser.Regex("("));
    }

    [Test]
    public void Fixed_column_log_parse_cuts_columns_by_position()
    {
        var parser = LogParser.FixedColumns("ID TYPE INTEGER START 0 FOR 4, NAME VARCHAR(8) 4 8, REST VARCHAR(4) START 40 FOR 4");
        Assert.That(parser.Columns.Select(c => c.SqlType), Is.EqualTo(new[] { "INTEGER", "VARCHAR(8)", "VARCHAR(4)" }));
        Assert.That(parser.Parse("0042alice   xyz"), Is.EqualTo(new[] { "0042", "alice", null }));
    }

    [Test]
    public void Variable_column_log_parse_honours_quotes_and_escapes()
    {
        var parser = LogParser.VariableColumns("A, B, C, D", ",", "\\", "\"");
        Assert.That(parser.Parse("1,\"x,y\",a\\,b"), Is.EqualTo(new[] { "1", "x,y", "a,b", null }));
        Assert.That(LogParser.VariableColumns("2", "|").Parse("p|q|r"), Is.EqualTo(new[] { "p", "q" }));
    }

    [Test]
    public void W3c_common_and_combined_formats()
    {
        const string line = "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326";
        Assert.That(LogParser.W3C("COMMON").Parse(line), Is.EqualTo(new[] { "127.0.0.1", null, "frank", "2000-10-10 20:55:36", "GET /apache_pb.gif HTTP/1.0", "200", "2326" }));
        var combined = LogParser.W3C("combined").Parse(line + " \"http://example.com/start.html\" \"Mozilla/4.08\"");
        Assert.That(combined![7..], Is.EqualTo(new[] { "http://example.com/start.html", "Mozilla/4.08" }));
        Assert.That(LogParser.W3C("COMBINED").Parse(line), Is.Null);
        Assert.Throws<SqlFunctionException>(() => LogParser.W3C("IIS"));
    }

    [Test]
    public void Sys_log_parse_splits_time_and_message()
    {
        var values = LogParser.SysLog().Parse("<34>Oct 11 22:14:15 mymachine su: 'su root' failed");
        Assert.That(values![0], Does.EndWith("-10-11 22:14:15"));
        Assert.That(values[1], Is.EqualTo("mymachine su: 'su root' failed"));
        Assert.That(LogParser.SysLog().Parse("not syslog"), Is.Null);
    }
}
