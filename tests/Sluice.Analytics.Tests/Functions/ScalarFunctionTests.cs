using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Sluice.Analytics.Sql.Functions;
using Sluice.Analytics.Sql.Functions.Scalar;

namespace Sluice.Analytics.Tests.Functions;

public sealed class ScalarFunctionTests
{
    [Test]
    public void Numeric_functions_return_null_for_null()
    {
        Assert.Multiple(() =>
        {
            Assert.That(NumericFunctions.Abs((long?)null), Is.Null);
            Assert.That(NumericFunctions.Ceil((double?)null), Is.Null);
            Assert.That(NumericFunctions.Mod(null, 3L), Is.Null);
            Assert.That(NumericFunctions.Power(2.0, null), Is.Null);
            Assert.That(NumericFunctions.Step(null, 5L), Is.Null);
        });
    }

    [Test]
    public void Numeric_functions_compute_sql_results()
    {
        Assert.Multiple(() =>
        {
            Assert.That(NumericFunctions.Abs(-5L), Is.EqualTo(5L));
            Assert.That(NumericFunctions.Ceil(1.2), Is.EqualTo(2.0));
            Assert.That(NumericFunctions.Floor(-1.2m), Is.EqualTo(-2m));
            Assert.That(NumericFunctions.Mod(-7L, 3L), Is.EqualTo(-1L));
            Assert.That(NumericFunctions.Power(2.0, 10.0), Is.EqualTo(1024.0));
            Assert.That(NumericFunctions.Log10(1000.0), Is.EqualTo(3.0).Within(1e-12));
            Assert.That(NumericFunctions.Step(23L, 5L), Is.EqualTo(20L));
            Assert.That(NumericFunctions.Step(-1L, 5L), Is.EqualTo(-5L));
        });
    }

    [Test]
    public void Mod_by_zero_and_ln_of_zero_are_error_rows()
    {
        Assert.Throws<SqlFunctionException>(() => NumericFunctions.Mod(1L, 0L));
        Assert.Throws<SqlFunctionException>(() => NumericFunctions.Ln(0.0));
    }

    [Test]
    public void Substring_follows_sql_rules_for_starts_outside_the_string()
    {
        Assert.Multiple(() =>
        {
            Assert.That(StringFunctions.Substring("abcdef", 2L, 3L), Is.EqualTo("bcd"));
            Assert.That(StringFunctions.Substring("abc", 0L, 2L), Is.EqualTo("a"));
            Assert.That(StringFunctions.Substring("abc", -5L, 2L), Is.EqualTo(""));
            Assert.That(StringFunctions.Substring("abc", 10L, 2L), Is.EqualTo(""));
            Assert.That(StringFunctions.Substring("abc", 2L), Is.EqualTo("bc"));
            Assert.That(StringFunctions.Substring(null, 2L), Is.Null);
        });
        Assert.Throws<SqlFunctionException>(() => StringFunctions.Substring("abc", 1L, -1L));
    }

    [Test]
    public void Position_overlay_initcap_and_trim()
    {
        Assert.Multiple(() =>
        {
            Assert.That(StringFunctions.Position("cd", "abcdcd"), Is.EqualTo(3L));
            Assert.That(StringFunctions.Position("x", "abc"), Is.EqualTo(0L));
            Assert.That(StringFunctions.Position("", "abc"), Is.EqualTo(1L));
            Assert.That(StringFunctions.Overlay("Txxxxas", "hom", 2L, 4L), Is.EqualTo("Thomas"));
            Assert.That(StringFunctions.Overlay("abcdef", "XY", 3L), Is.EqualTo("abXYef"));
            Assert.That(StringFunctions.Initcap("hello wORLD-foo bar2x"), Is.EqualTo("Hello World-Foo Bar2x"));
            Assert.That(StringFunctions.TrimBoth("xxaxx", "x"), Is.EqualTo("a"));
            Assert.That(StringFunctions.TrimLeading("  a  "), Is.EqualTo("a  "));
            Assert.That(StringFunctions.TrimTrailing("  a  "), Is.EqualTo("  a"));
            Assert.That(StringFunctions.CharLength("héllo"), Is.EqualTo(5L));
            Assert.That(StringFunctions.Concat("a", null), Is.Null);
        });
        Assert.Throws<SqlFunctionException>(() => StringFunctions.TrimBoth("a", "xy"));
    }

    [Test]
    public void Substring_splits_a_string_into_its_prefix_and_suffix()
    {
        Prop.ForAll<string, int>((s, k) =>
        {
            s ??= "";
            var p = (long)Math.Abs(k % (s.Length + 2)) + 1;
            return StringFunctions.Substring(s, 1, p - 1) + StringFunctions.Substring(s, p) == s;
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void Overlay_equals_prefix_replacement_suffix_and_position_finds_the_replacement()
    {
        Prop.ForAll<string, string, int>((s, r, k) =>
        {
            s ??= "";
            r = "\u0001" + (r ?? "");
            s = s.Replace("\u0001", "", StringComparison.Ordinal);
            var p = (long)Math.Abs(k % (s.Length + 1)) + 1;
            var result = StringFunctions.Overlay(s, r, p, 0)!;
            return result.Length == s.Length + r.Length
                && StringFunctions.Position(r, result) == p
                && StringFunctions.Substring(result, p, r.Length) == r;
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void Like_matches_percent_underscore_and_escapes()
    {
        var p = LikePattern.Compile("a%b_c");
        Assert.Multiple(() =>
        {
            Assert.That(p.Matches("aXYZbQc"), Is.True);
            Assert.That(p.Matches("abQc"), Is.True);
            Assert.That(p.Matches("abc"), Is.False);
            Assert.That(p.Matches("a\nbQc"), Is.True);
            Assert.That(LikePattern.Compile("100!%", "!").Matches("100%"), Is.True);
            Assert.That(LikePattern.Compile("100!%", "!").Matches("1000"), Is.False);
            Assert.That(LikePattern.Compile("a.c").Matches("abc"), Is.False);
            Assert.That(LikePattern.Like(null, "%"), Is.Null);
        });
        Assert.Throws<SqlFunctionException>(() => LikePattern.Compile("a!b", "!"));
    }

    [Test]
    public void Like_with_only_literals_is_string_equality()
    {
        Prop.ForAll<string, string>((a, b) =>
        {
            a = (a ?? "").Replace("%", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
            b ??= "";
            return LikePattern.Compile(a).Matches(b) == (a == b) && LikePattern.Compile(a + "%").Matches(a + b);
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void Similar_to_supports_alternation_and_treats_dot_as_literal()
    {
        Assert.Multiple(() =>
        {
            Assert.That(SimilarToPattern.Compile("(cat|dog)s?").Matches("dogs"), Is.True);
            Assert.That(SimilarToPattern.Compile("(cat|dog)s?").Matches("cow"), Is.False);
            Assert.That(SimilarToPattern.Compile("a.c").Matches("abc"), Is.False);
            Assert.That(SimilarToPattern.Compile("a.c").Matches("a.c"), Is.True);
            Assert.That(SimilarToPattern.Compile("[a-c]{2,3}%").Matches("abzz"), Is.True);
            Assert.That(SimilarToPattern.Compile("[^0-9]_").Matches("x1"), Is.True);
            Assert.That(SimilarToPattern.Compile("a#%", "#").Matches("a%"), Is.True);
        });
    }

    [Test]
    public void Regex_replace_uses_java_back_references_start_and_occurrence()
    {
        Assert.Multiple(() =>
        {
            Assert.That(RegexFunctions.RegexReplace("John Smith", "(\\w+) (\\w+)", "$2, $1"), Is.EqualTo("Smith, John"));
            Assert.That(RegexFunctions.RegexReplace("aaa", "a", "b", 1L, 2L), Is.EqualTo("aba"));
            Assert.That(RegexFunctions.RegexReplace("aaa", "a", "b", 2L, 0L), Is.EqualTo("abb"));
            Assert.That(RegexFunctions.RegexReplace("aaa", "a", "b", 9L, 0L), Is.EqualTo("aaa"));
            Assert.That(RegexFunctions.RegexReplace("a1", "(\\d)", "\\$$1"), Is.EqualTo("a$1"));
            Assert.That(RegexFunctions.RegexReplace("ab", "(a)", "$10"), Is.EqualTo("a0b"));
            Assert.That(RegexFunctions.RegexReplace(null, "a", "b"), Is.Null);
        });
        Assert.Throws<SqlFunctionException>(() => RegexFunctions.RegexReplace("a", "a", "$&"));
        Assert.Throws<SqlFunctionException>(() => RegexFunctions.RegexReplace("a", "(", "x"));
    }

    [Test]
    public void Java_quoting_and_posix_classes_are_understood()
    {
        Assert.Multiple(() =>
        {
            Assert.That(RegexFunctions.RegexReplace("a.b*c", "\\Q.b*\\E", "-"), Is.EqualTo("a-c"));
            Assert.That(RegexFunctions.RegexReplace("ab12;!", "\\p{Alpha}+", "X"), Is.EqualTo("X12;!"));
            Assert.That(RegexFunctions.RegexReplace("ab12;!", "[\\p{Punct}\\p{Digit}]", ""), Is.EqualTo("ab"));
            Assert.That(RegexFunctions.RegexReplace("ab12", "\\P{Digit}", "_"), Is.EqualTo("__12"));
            Assert.That(LogParser.Regex("(\\p{Upper}+) (\\d+)").Parse("GET 200"), Is.EqualTo(new[] { "GET", "200" }));
        });
    }

    [Test]
    public void Tsdiff_is_end_minus_start_and_accepts_timestamps()
    {
        var a = new DateTime(2024, 5, 1, 8, 0, 0, DateTimeKind.Utc);
        Assert.Multiple(() =>
        {
            Assert.That(DateTimeFunctions.Tsdiff(1000L, 4500L), Is.EqualTo(3500L));
            Assert.That(DateTimeFunctions.Tsdiff(a, a.AddSeconds(2)), Is.EqualTo(2000L));
            Assert.That(DateTimeFunctions.Tsdiff((long?)null, 1L), Is.Null);
            Assert.That(DateTimeFunctions.UnixTimestamp(a), Is.EqualTo(1714550400000L));
            Assert.That(DateTimeFunctions.ToTimestamp(1714550400123L), Is.EqualTo(a.AddMilliseconds(123)));
        });
    }

    [Test]
    public void Timestamp_to_char_translates_java_patterns()
    {
        var t = new DateTime(2024, 3, 7, 15, 4, 5, 9, DateTimeKind.Utc);
        Assert.Multiple(() =>
        {
            Assert.That(DateTimeFunctions.TimestampToChar("yyyy-MM-dd HH:mm:ss.SSS", t), Is.EqualTo("2024-03-07 15:04:05.009"));
            Assert.That(DateTimeFunctions.TimestampToChar("yy/M/d h:mm a", t), Is.EqualTo("24/3/7 3:04 PM"));
            Assert.That(DateTimeFunctions.TimestampToChar("EEE, d MMM yyyy", t), Is.EqualTo("Thu, 7 Mar 2024"));
            Assert.That(DateTimeFunctions.TimestampToChar("EEEE MMMM", t), Is.EqualTo("Thursday March"));
            Assert.That(DateTimeFunctions.TimestampToChar("'at' hh 'o''clock' K k S", t), Is.EqualTo("at 03 o'clock 3 15 9"));
            Assert.That(DateTimeFunctions.TimestampToChar("yyyy-MM-dd'T'HH:mm:ssZ D", t), Is.EqualTo("2024-03-07T15:04:05+0000 67"));
            Assert.That(DateTimeFunctions.TimestampToChar("yyyy", null), Is.EqualTo("null"));
            Assert.That(DateTimeFunctions.TimestampToChar(null, t), Is.Null);
            Assert.That(DateTimeFunctions.TimeToChar("HH:mm", new TimeSpan(0, 7, 30, 0)), Is.EqualTo("07:30"));
        });
        Assert.Throws<SqlFunctionException>(() => DateTimeFunctions.TimestampToChar("yyyy-qq", t));
    }

    [Test]
    public void Char_to_timestamp_parses_java_patterns()
    {
        Assert.Multiple(() =>
        {
            Assert.That(DateTimeFunctions.CharToTimestamp("yyyy-MM-dd HH:mm:ss", "2024-05-01 08:00:00"), Is.EqualTo(new DateTime(2024, 5, 1, 8, 0, 0, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.CharToTimestamp("yyyyMMddHHmmss", "20240501081530"), Is.EqualTo(new DateTime(2024, 5, 1, 8, 15, 30, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.CharToTimestamp("dd/MMM/yyyy:HH:mm:ss Z", "10/Oct/2000:13:55:36 +0000"), Is.EqualTo(new DateTime(2000, 10, 10, 13, 55, 36, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.CharToTimestamp("h:mm a", "12:30 AM"), Is.EqualTo(new DateTime(1970, 1, 1, 0, 30, 0, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.CharToDate("yyyy-MM-dd", "2024-02-29"), Is.EqualTo(new DateTime(2024, 2, 29, 0, 0, 0, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.CharToTime("HH:mm:ss.SSS", "23:59:58.250"), Is.EqualTo(new TimeSpan(0, 23, 59, 58, 250)));
            Assert.That(DateTimeFunctions.CharToTimestamp("yyyy", null), Is.Null);
        });
        Assert.Throws<SqlFunctionException>(() => DateTimeFunctions.CharToTimestamp("yyyy-MM-dd", "2024/05/01"));
        Assert.Throws<SqlFunctionException>(() => DateTimeFunctions.CharToTimestamp("yyyy-MM-dd", "2023-02-29"));
    }

    [Test]
    public void Format_then_parse_round_trips_timestamps()
    {
        var gen = Gen.Choose(0, int.MaxValue).Select(s => DateTime.UnixEpoch.AddMilliseconds(s * 997L));
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var text = DateTimeFunctions.TimestampToChar("yyyy-MM-dd HH:mm:ss.SSS", t)!;
            return DateTimeFunctions.CharToTimestamp("yyyy-MM-dd HH:mm:ss.SSS", text) == t
                && DateTimeFunctions.CharToTimestamp("EEE dd MMMM yyyy hh:mm:ss.SSS a", DateTimeFunctions.TimestampToChar("EEE dd MMMM yyyy hh:mm:ss.SSS a", t)) == t;
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void Extract_floor_ceil_and_step_on_timestamps()
    {
        var t = new DateTime(2024, 5, 1, 8, 17, 42, 250, DateTimeKind.Utc);
        Assert.Multiple(() =>
        {
            Assert.That(DateTimeFunctions.Extract(TimeUnit.Year, t), Is.EqualTo(2024L));
            Assert.That(DateTimeFunctions.Extract(TimeUnit.Quarter, t), Is.EqualTo(2L));
            Assert.That(DateTimeFunctions.Extract(TimeUnit.Minute, t), Is.EqualTo(17L));
            Assert.That(DateTimeFunctions.Extract(TimeUnit.Hour, new TimeSpan(2, 5, 0, 0)), Is.EqualTo(5L));
            Assert.That(DateTimeFunctions.Extract(TimeUnit.Day, new TimeSpan(2, 5, 0, 0)), Is.EqualTo(2L));
            Assert.That(DateTimeFunctions.ExtractMonths(TimeUnit.Year, 27), Is.EqualTo(2L));
            Assert.That(DateTimeFunctions.FloorTo(t, TimeUnit.Minute), Is.EqualTo(new DateTime(2024, 5, 1, 8, 17, 0, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.FloorTo(t, TimeUnit.Week), Is.EqualTo(new DateTime(2024, 4, 29, 0, 0, 0, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.CeilTo(t, TimeUnit.Hour), Is.EqualTo(new DateTime(2024, 5, 1, 9, 0, 0, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.CeilTo(new DateTime(2024, 5, 1, 9, 0, 0, DateTimeKind.Utc), TimeUnit.Hour), Is.EqualTo(new DateTime(2024, 5, 1, 9, 0, 0, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.Step(t, TimeSpan.FromSeconds(30)), Is.EqualTo(new DateTime(2024, 5, 1, 8, 17, 30, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.Step(t, TimeSpan.FromMinutes(10)), Is.EqualTo(new DateTime(2024, 5, 1, 8, 10, 0, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.StepMonths(t, 3), Is.EqualTo(new DateTime(2024, 4, 1, 0, 0, 0, DateTimeKind.Utc)));
            Assert.That(DateTimeFunctions.FloorTo(null, TimeUnit.Day), Is.Null);
        });
    }

    [Test]
    public void Every_sql_function_is_public_static_with_nullable_parameters()
    {
        var methods = typeof(SqlFunctionAttribute).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance))
            .Where(m => m.GetCustomAttributes(typeof(SqlFunctionAttribute), false).Length > 0)
            .ToList();
        Assert.That(methods, Has.Count.GreaterThan(40));
        foreach (var m in methods)
        {
            Assert.That(m.IsPublic && m.IsStatic, Is.True, m.Name);
            foreach (var p in m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType))
            {
                Assert.That(!p.IsValueType || Nullable.GetUnderlyingType(p) is not null, Is.True, $"{m.DeclaringType!.Name}.{m.Name}: {p.Name} is not nullable");
            }
        }
    }
}
