using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Analytics.Sql.Functions.Scalar;

/// <summary>
/// A compiled <c>LIKE</c> pattern: <c>%</c> any run of characters, <c>_</c> one character, the escape character (if any)
/// makes the next <c>%</c>, <c>_</c> or escape literal. Compile once per call site with a constant pattern (the engine
/// caches it); <see cref="Like"/> is for a pattern that varies per row. Matching is case-sensitive over the whole string.
/// </summary>
public sealed class LikePattern
{
    private readonly Regex regex;
    private readonly string source;

    private LikePattern(Regex regex, string source)
    {
        this.regex = regex;
        this.source = source;
    }

    /// <summary>Compiles <paramref name="pattern"/>; throws <see cref="SqlFunctionException"/> for a bad escape.</summary>
    public static LikePattern Compile(string pattern, string? escape = null)
    {
        var esc = EscapeChar(escape, "LIKE");
        var sb = new StringBuilder("\\A");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (esc is { } e && c == e)
            {
                if (i + 1 >= pattern.Length || (pattern[i + 1] != '%' && pattern[i + 1] != '_' && pattern[i + 1] != e))
                {
                    throw new SqlFunctionException($"LIKE pattern '{pattern}' has an escape character not followed by %, _ or itself at position {i + 1}");
                }

                sb.Append(Regex.Escape(pattern[++i].ToString()));
            }
            else if (c == '%')
            {
                sb.Append(".*");
            }
            else if (c == '_')
            {
                sb.Append('.');
            }
            else
            {
                sb.Append(Regex.Escape(c.ToString()));
            }
        }

        sb.Append("\\z");
        return new LikePattern(new Regex(sb.ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking), Describe("LIKE", pattern, escape));
    }

    public bool Matches(string value) => regex.IsMatch(value);

    /// <summary><c>s LIKE pattern</c> with a pattern compiled once; NULL when <paramref name="s"/> is NULL.</summary>
    public static bool? Match(string? s, LikePattern pattern) => s is null ? null : pattern.Matches(s);

    /// <summary>The pattern as written, so equal call sites have equal bound keys.</summary>
    public override string ToString() => source;

    internal static string Describe(string op, string pattern, string? escape) => $"{op} '{pattern}'{(escape is null ? "" : $" ESCAPE '{escape}'")}";

    /// <summary><c>s LIKE pattern [ESCAPE e]</c> with a per-row pattern; NULL if any operand is NULL.</summary>
    public static bool? Like(string? s, string? pattern, string? escape = null) =>
        s is null || pattern is null ? null : Compile(pattern, escape).Matches(s);

    internal static char? EscapeChar(string? escape, string what) => escape switch
    {
        null => null,
        { Length: 1 } => escape[0],
        _ => throw new SqlFunctionException($"{what} ESCAPE must be a single character, got '{escape}'"),
    };
}

/// <summary>
/// A compiled <c>SIMILAR TO</c> pattern (SQL regular expression): <c>%</c> and <c>_</c> as in LIKE, plus <c>| * + ? {m,n} ( ) [...]</c>;
/// every other character, <c>.</c> included, is literal; the escape character makes the next character literal. The
/// whole string must match.
/// </summary>
public sealed class SimilarToPattern
{
    private readonly Regex regex;
    private readonly string source;

    private SimilarToPattern(Regex regex, string source)
    {
        this.regex = regex;
        this.source = source;
    }

    public static SimilarToPattern Compile(string pattern, string? escape = null)
    {
        var esc = LikePattern.EscapeChar(escape, "SIMILAR TO");
        var sb = new StringBuilder("\\A(?:");
        var inBrackets = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (esc is { } e && c == e)
            {
                if (i + 1 >= pattern.Length)
                {
                    throw new SqlFunctionException($"SIMILAR TO pattern '{pattern}' ends with its escape character");
                }

                sb.Append(Regex.Escape(pattern[++i].ToString()));
                continue;
            }

            if (inBrackets)
            {
                // Inside a bracket expression: ranges, negation and ']' keep their regex meaning; escape the rest.
                if (c == ']')
                {
                    inBrackets = false;
                    sb.Append(']');
                }
                else if (c == '-' || (c == '^' && pattern[i - 1] == '['))
                {
                    sb.Append(c);
                }
                else
                {
                    sb.Append(c == '\\' || c == '[' ? "\\" + c : c.ToString());
                }

                continue;
            }

            switch (c)
            {
                case '%': sb.Append(".*"); break;
                case '_': sb.Append('.'); break;
                case '|' or '*' or '+' or '?' or '(' or ')' or '{' or '}' or ',': sb.Append(c); break;
                case '[': inBrackets = true; sb.Append('['); break;
                default:
                    if (char.IsDigit(c) && InsideBraces(pattern, i))
                    {
                        sb.Append(c);
                    }
                    else
                    {
                        sb.Append(Regex.Escape(c.ToString()));
                    }

                    break;
            }
        }

        sb.Append(")\\z");
        try
        {
            return new SimilarToPattern(new Regex(sb.ToString(), RegexOptions.Singleline | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking), LikePattern.Describe("SIMILAR TO", pattern, escape));
        }
        catch (ArgumentException ex)
        {
            throw new SqlFunctionException($"SIMILAR TO pattern '{pattern}' is not a valid pattern: {ex.Message}");
        }
    }

    public bool Matches(string value) => regex.IsMatch(value);

    /// <summary><c>s SIMILAR TO pattern</c> with a pattern compiled once; NULL when <paramref name="s"/> is NULL.</summary>
    public static bool? Match(string? s, SimilarToPattern pattern) => s is null ? null : pattern.Matches(s);

    public override string ToString() => source;

    /// <summary><c>s SIMILAR TO pattern [ESCAPE e]</c> with a per-row pattern; NULL if any operand is NULL.</summary>
    public static bool? SimilarTo(string? s, string? pattern, string? escape = null) =>
        s is null || pattern is null ? null : Compile(pattern, escape).Matches(s);

    private static bool InsideBraces(string pattern, int i)
    {
        for (var j = i - 1; j >= 0; j--)
        {
            if (pattern[j] == '{')
            {
                return true;
            }

            if (!char.IsDigit(pattern[j]) && pattern[j] != ',')
            {
                return false;
            }
        }

        return false;
    }
}
