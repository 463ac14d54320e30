using System.Collections.Concurrent;
using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Analytics.Sql.Functions.Scalar;

/// <summary>
/// REGEX_REPLACE with Java regex semantics as far as .NET's engine shares them (character classes, groups, lazy and
/// greedy quantifiers, look-around; <see cref="JavaRegex"/> rewrites the rest). Replacement strings use Java's rules: <c>$n</c> and <c>${name}</c> are group
/// references, <c>\x</c> is a literal x. Patterns are compiled once and cached.
/// </summary>
public static class RegexFunctions
{
    private const int CacheLimit = 512;
    private static readonly ConcurrentDictionary<string, Regex> Cache = new(StringComparer.Ordinal);

    /// <summary>REGEX_REPLACE(s, regex, replacement): every match replaced.</summary>
    [SqlFunction("REGEX_REPLACE")]
    public static string? RegexReplace(string? s, string? regex, string? replacement) => RegexReplace(s, regex, replacement, 1, 0);

    /// <summary>
    /// REGEX_REPLACE(s, regex, replacement, startPos, occurrence): matching starts at 1-based <paramref name="startPos"/>
    /// (the text before it is kept); occurrence 0 replaces every match, k only the k-th. A start past the end returns s.
    /// </summary>
    [SqlFunction("REGEX_REPLACE")]
    public static string? RegexReplace(string? s, string? regex, string? replacement, long? startPos, long? occurrence)
    {
        if (s is null || regex is null || replacement is null || startPos is not { } start || occurrence is not { } occ)
        {
            return null;
        }

        if (start < 1)
        {
            throw new SqlFunctionException($"REGEX_REPLACE startPos must be at least 1, got {start}");
        }

        if (occ < 0)
        {
            throw new SqlFunctionException($"REGEX_REPLACE occurrence must not be negative, got {occ}");
        }

        var re = Compile(regex);
        var netReplacement = TranslateReplacement(replacement, re);
        if (start > s.Length + 1)
        {
            return s;
        }

        var from = (int)start - 1;
        if (occ == 0)
        {
            return re.Replace(s, netReplacement, -1, from);
        }

        var m = re.Match(s, from);
        for (var k = 1; k < occ && m.Success; k++)
        {
            m = m.NextMatch();
        }

        return m.Success ? string.Concat(s.AsSpan(0, m.Index), m.Result(netReplacement), s.AsSpan(m.Index + m.Length)) : s;
    }

    /// <summary>The cached .NET regex for a Java regex; throws <see cref="SqlFunctionException"/> when it does not compile.</summary>
    public static Regex Compile(string javaRegex)
    {
        if (Cache.TryGetValue(javaRegex, out var re))
        {
            return re;
        }

        try
        {
            re = new Regex(JavaRegex.Translate(javaRegex), RegexOptions.CultureInvariant);
        }
        catch (ArgumentException ex)
        {
            throw new SqlFunctionException($"regular expression '{javaRegex}' does not compile: {ex.Message}");
        }

        if (Cache.Count >= CacheLimit)
        {
            Cache.Clear();
        }

        Cache[javaRegex] = re;
        return re;
    }

    /// <summary>Java replacement syntax → .NET: literal '$' doubled, group numbers taken greedily while such a group exists.</summary>
    internal static string TranslateReplacement(string replacement, Regex re)
    {
        if (replacement.AsSpan().IndexOfAny('$', '\\') < 0)
        {
            return replacement;
        }

        var groups = re.GetGroupNumbers().Length - 1;
        var sb = new StringBuilder(replacement.Length + 8);
        for (var i = 0; i < replacement.Length; i++)
        {
            var c = replacement[i];
            if (c == '\\')
            {
                if (++i >= replacement.Length)
                {
                    throw new SqlFunctionException("REGEX_REPLACE replacement ends with a lone backslash");
                }

                sb.Append(replacement[i] == '$' ? "$$" : replacement[i].ToString());
            }
            else if (c == '$')
            {
                if (++i >= replacement.Length)
                {
                    throw new SqlFunctionException("REGEX_REPLACE replacement ends with a lone '$'");
                }

                if (replacement[i] == '{')
                {
                    var close = replacement.IndexOf('}', i);
                    if (close < 0)
                    {
                        throw new SqlFunctionException("REGEX_REPLACE replacement has '${' without a closing '}'");
                    }

                    var name = replacement[(i + 1)..close];
                    if (re.GroupNumberFromName(name) < 0)
                    {
                        throw new SqlFunctionException($"REGEX_REPLACE replacement names group '{name}' which the regex does not have");
                    }

                    sb.Append("${").Append(name).Append('}');
                    i = close;
                }
                else if (char.IsAsciiDigit(replacement[i]))
                {
                    var n = replacement[i] - '0';
                    if (n > groups)
                    {
                        throw new SqlFunctionException($"REGEX_REPLACE replacement refers to group {n}; the regex has {groups}");
                    }

                    while (i + 1 < replacement.Length && char.IsAsciiDigit(replacement[i + 1]) && n * 10 + (replacement[i + 1] - '0') <= groups)
                    {
                        n = n * 10 + (replacement[++i] - '0');
                    }

                    sb.Append("${").Append(n).Append('}');
                }
                else
                {
                    throw new SqlFunctionException($"REGEX_REPLACE replacement has '$' followed by '{replacement[i]}' (use \\$ for a literal $)");
                }
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
