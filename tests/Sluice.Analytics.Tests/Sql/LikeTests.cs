using NUnit.Framework;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Tests.Sql;

/// <summary>LIKE and SIMILAR TO in queries: one implementation (Functions/Scalar/PatternMatching.cs), ESCAPE, per-row patterns.</summary>
public class LikeTests
{
    private const string From = "FROM \"SOURCE_SQL_STREAM_001\"";

    private static List<string> Run(string columns, string select, params string?[] keys)
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start(Generic.App(columns, select), sink);
        for (int i = 0; i < keys.Length; i++)
        {
            runtime.Push(Tolls.At("08:00:00").AddSeconds(i).ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), Generic.Row(keys[i], i));
        }

        return sink.Lines("OUT");
    }

    [Test]
    public void Escape_makes_wildcards_literal_in_like_and_similar_to()
    {
        var lines = Run("A BOOLEAN, B BOOLEAN, C BOOLEAN",
            $"SELECT STREAM K LIKE '50!%%' ESCAPE '!', K NOT LIKE 'a_c', K SIMILAR TO '(50|60)#%' ESCAPE '#' {From}",
            "50%off", "50off", "abc", "60%", null);
        Assert.That(lines, Is.EqualTo(new[]
        {
            "08:00:00 | TRUE, TRUE, FALSE",
            "08:00:01 | FALSE, TRUE, FALSE",
            "08:00:02 | FALSE, FALSE, FALSE",
            "08:00:03 | FALSE, TRUE, TRUE",
            "08:00:04 | NULL, NULL, NULL",
        }));
    }

    [Test]
    public void A_pattern_from_a_column_is_applied_per_row()
    {
        var lines = Run("A BOOLEAN", $"SELECT STREAM 'abc' LIKE K {From}", "a%", "%c", "b%", null);
        Assert.That(lines, Is.EqualTo(new[] { "08:00:00 | TRUE", "08:00:01 | TRUE", "08:00:02 | FALSE", "08:00:03 | NULL" }));
    }

    [Test]
    public void A_bad_per_row_pattern_sends_the_row_to_error_stream()
    {
        var sink = new CollectingSink();
        var runtime = Generic.Start(Generic.App("A BOOLEAN", $"SELECT STREAM 'abc' LIKE K ESCAPE '!' {From}"), sink);
        runtime.Push("08:00:00", Generic.Row("a!b", 1));
        runtime.Push("08:00:01", Generic.Row("a%", 2));
        Assert.That(sink.Lines("OUT"), Is.EqualTo(new[] { "08:00:01 | TRUE" }));
        Assert.That(sink.Rows.Count(r => r.Stream == "error_stream"), Is.EqualTo(1));
    }

    [Test]
    public void A_bad_constant_pattern_is_a_compile_error_at_the_pattern()
    {
        var e = Assert.Throws<SqlCompileException>(() => SqlCompiler.Compile(Generic.App("A BOOLEAN", $"SELECT STREAM K LIKE 'a!b' ESCAPE '!' {From}"), [Generic.Input], []))!;
        Assert.That(e.Message, Does.Contain("escape character not followed by %, _ or itself").And.Contain("line 2, column 55"));
    }

    [Test]
    public void An_escape_of_more_than_one_character_is_rejected()
    {
        var e = Assert.Throws<SqlCompileException>(() => SqlCompiler.Compile(Generic.App("A BOOLEAN", $"SELECT STREAM K SIMILAR TO 'a' ESCAPE '!!' {From}"), [Generic.Input], []))!;
        Assert.That(e.Message, Does.Contain("ESCAPE must be a single character"));
    }
}
