using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Analytics.Sql.Functions.Scalar;

/// <summary>A column a log parser yields: its name and SQL type text (the engine casts the parsed string to it).</summary>
public sealed record LogColumn(string Name, string SqlType);

/// <summary>
/// The log-parsing functions (FAST_REGEX_LOG_PARSE, REGEX_LOG_PARSE, FIXED_COLUMN_LOG_PARSE, VARIABLE_COLUMN_LOG_PARSE,
/// SYS_LOG_PARSE, W3C_LOG_PARSE). Their pattern and column arguments are constants, so the engine builds a parser once
/// per call site with the factory methods, reads <see cref="Columns"/> for the row type (<c>(expr).COLUMN1</c>), and calls
/// <see cref="Parse"/> per row: one string (or NULL) per column, or NULL for the whole row when the line does not match
/// (NULL in gives NULL out).
/// </summary>
public abstract class LogParser
{
    private const string DefaultType = "VARCHAR(1024)";

    private protected LogParser(IReadOnlyList<LogColumn> columns) => Columns = columns;

    public IReadOnlyList<LogColumn> Columns { get; }

    public abstract string?[]? Parse(string? line);

    /// <summary>
    /// FAST_REGEX_LOG_PARSE(s, pattern): the whole line must match; every quantifier is lazy (matches as little as it can,
    /// as the documented "lazy semantics"); capture groups become COLUMN1..n VARCHAR(1024).
    /// </summary>
    public static LogParser FastRegex(string pattern) => new RegexParser(MakeLazy(JavaRegex.Translate(pattern)), null);

    /// <summary>REGEX_LOG_PARSE(s, javaRegex[, columns]): the whole line must match; groups become the named columns ('NAME TYPE, …') or COLUMN1..n.</summary>
    public static LogParser Regex(string javaRegex, string? columns = null) => new RegexParser(javaRegex, columns);

    /// <summary>
    /// FIXED_COLUMN_LOG_PARSE(s, 'NAME TYPE START s FOR n, …') (also 'NAME TYPE s n'): each column is the n characters from
    /// 0-based position s, trimmed of trailing spaces; past the end of the line it is NULL.
    /// </summary>
    public static LogParser FixedColumns(string spec) => new FixedParser(spec);

    /// <summary>
    /// VARIABLE_COLUMN_LOG_PARSE(s, columns, delimiters[, escape[, quote]]): columns is 'NAME TYPE, …' or a count (COLUMN1..n);
    /// any character of <paramref name="delimiters"/> separates fields; the escape character makes the next character literal;
    /// a quoted field may contain delimiters (a doubled quote is a quote). Missing fields are NULL, extra fields dropped.
    /// </summary>
    public static LogParser VariableColumns(string columns, string delimiters, string? escape = null, string? quote = null) =>
        new VariableParser(columns, delimiters, escape, quote);

    /// <summary>SYS_LOG_PARSE(s): an RFC 3164 line ('&lt;pri&gt;Mmm dd HH:mm:ss rest'): COLUMN1 the time as 'yyyy-MM-dd HH:mm:ss' in the current year, COLUMN2 the rest.</summary>
    public static LogParser SysLog() => new SysLogParser();

    /// <summary>
    /// W3C_LOG_PARSE(s, format) for the Apache formats COMMON (COLUMN1 host, ident, authuser, time 'yyyy-MM-dd HH:mm:ss'
    /// in UTC, request, status, bytes — 7 columns, '-' gives NULL) and COMBINED (adds referer and user agent).
    /// </summary>
    public static LogParser W3C(string format) => format.ToUpperInvariant() switch
    {
        "COMMON" => new W3CParser(false),
        "COMBINED" => new W3CParser(true),
        _ => throw new SqlFunctionException($"W3C_LOG_PARSE format must be COMMON or COMBINED, got '{format}'"),
    };

    private protected static IReadOnlyList<LogColumn> Numbered(int n, string type = DefaultType)
    {
        var list = new LogColumn[n];
        for (var i = 0; i < n; i++)
        {
            list[i] = new LogColumn("COLUMN" + (i + 1).ToString(CultureInfo.InvariantCulture), type);
        }

        return list;
    }

    // 'NAME TYPE, NAME TYPE(10,2)' → columns; commas inside parentheses belong to the type.
    private protected static List<string> SplitTopLevel(string spec)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < spec.Length; i++)
        {
            depth += spec[i] == '(' ? 1 : spec[i] == ')' ? -1 : 0;
            if (spec[i] == ',' && depth == 0)
            {
                parts.Add(spec[start..i].Trim());
                start = i + 1;
            }
        }

        parts.Add(spec[start..].Trim());
        parts.RemoveAll(p => p.Length == 0);
        return parts;
    }

    private protected static IReadOnlyList<LogColumn> ParseColumnList(string spec, string function)
    {
        if (int.TryParse(spec.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return n > 0 ? Numbered(n) : throw new SqlFunctionException($"{function} column count must be at least 1, got {n}");
        }

        var columns = new List<LogColumn>();
        foreach (var part in SplitTopLevel(spec))
        {
            var space = part.IndexOf(' ', StringComparison.Ordinal);
            columns.Add(space < 0
                ? new LogColumn(Unquote(part), DefaultType)
                : new LogColumn(Unquote(part[..space]), part[(space + 1)..].Trim()));
        }

        return columns.Count > 0 ? columns : throw new SqlFunctionException($"{function} needs at least one column");
    }

    private protected static string Unquote(string name) =>
        name.Length >= 2 && name[0] == '"' && name[^1] == '"' ? name[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : name.ToUpperInvariant();

    // Appends '?' to every greedy quantifier outside character classes.
    private static string MakeLazy(string pattern)
    {
        var sb = new StringBuilder(pattern.Length + 8);
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            sb.Append(c);
            if (c == '\\' && i + 1 < pattern.Length)
            {
                sb.Append(pattern[++i]);
                continue;
            }

            if (inClass)
            {
                inClass = c != ']';
                continue;
            }

            if (c == '[')
            {
                inClass = true;
                if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                {
                    sb.Append(pattern[++i]);
                }

                continue;
            }

            var quantifier = c is '*' or '+' or '?';
            if (c == '{')
            {
                var close = pattern.IndexOf('}', i);
                if (close > 0 && System.Text.RegularExpressions.Regex.IsMatch(pattern[(i + 1)..close], "^[0-9]+(,[0-9]*)?$"))
                {
                    sb.Append(pattern, i + 1, close - i);
                    i = close;
                    quantifier = true;
                }
            }

            // '?' right after '(' is a group construct, not a quantifier; an existing '?' or '+' after a quantifier stays.
            if (quantifier && !(c == '?' && i > 0 && pattern[i - 1] == '(') && (i + 1 >= pattern.Length || (pattern[i + 1] != '?' && pattern[i + 1] != '+')))
            {
                sb.Append('?');
            }
        }

        return sb.ToString();
    }

    private sealed class RegexParser : LogParser
    {
        private readonly Regex regex;

        public RegexParser(string pattern, string? columns)
            : this(Compile(pattern), columns)
        {
        }

        private RegexParser(Regex regex, string? columns)
            : base(columns is null ? Numbered(regex.GetGroupNumbers().Length - 1) : ParseColumnList(columns, "REGEX_LOG_PARSE")) => this.regex = regex;

        public override string?[]? Parse(string? line)
        {
            if (line is null)
            {
                return null;
            }

            var m = regex.Match(line);
            if (!m.Success)
            {
                return null;
            }

            var values = new string?[Columns.Count];
            for (var i = 0; i < values.Length && i + 1 < m.Groups.Count; i++)
            {
                values[i] = m.Groups[i + 1].Success ? m.Groups[i + 1].Value : null;
            }

            return values;
        }

        private static Regex Compile(string pattern)
        {
            try
            {
                return new Regex("\\A(?:" + JavaRegex.Translate(pattern) + ")\\z", RegexOptions.CultureInvariant);
            }
            catch (ArgumentException ex)
            {
                throw new SqlFunctionException($"log parse pattern '{pattern}' does not compile: {ex.Message}");
            }
        }
    }

    private sealed class FixedParser : LogParser
    {
        private readonly (int Start, int Length)[] ranges;

        public FixedParser(string spec)
            : this(Layout(spec))
        {
        }

        private FixedParser((List<LogColumn> Columns, (int, int)[] Ranges) layout)
            : base(layout.Columns) => ranges = layout.Ranges;

        public override string?[]? Parse(string? line)
        {
            if (line is null)
            {
                return null;
            }

            var values = new string?[ranges.Length];
            for (var i = 0; i < ranges.Length; i++)
            {
                var (start, length) = ranges[i];
                values[i] = start >= line.Length ? null : line.Substring(start, Math.Min(length, line.Length - start)).TrimEnd(' ');
            }

            return values;
        }

        private static (List<LogColumn>, (int, int)[]) Layout(string spec)
        {
            var columns = new List<LogColumn>();
            var ranges = new List<(int, int)>();
            foreach (var part in SplitTopLevel(spec))
            {
                var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
                if (words.Count >= 2 && words[1].Equals("TYPE", StringComparison.OrdinalIgnoreCase))
                {
                    words.RemoveAt(1);
                }

                var startAt = words.FindIndex(w => w.Equals("START", StringComparison.OrdinalIgnoreCase));
                string type;
                string startText, lengthText;
                if (startAt > 0 && startAt + 3 < words.Count && words[startAt + 2].Equals("FOR", StringComparison.OrdinalIgnoreCase))
                {
                    type = string.Join(' ', words.Skip(1).Take(startAt - 1));
                    startText = words[startAt + 1];
                    lengthText = words[startAt + 3];
                }
                else if (words.Count >= 4)
                {
                    type = string.Join(' ', words.Skip(1).Take(words.Count - 3));
                    startText = words[^2];
                    lengthText = words[^1];
                }
                else
                {
                    throw new SqlFunctionException($"FIXED_COLUMN_LOG_PARSE column '{part}' must read 'NAME TYPE START s FOR n'");
                }

                if (!int.TryParse(startText, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ||
                    !int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                {
                    throw new SqlFunctionException($"FIXED_COLUMN_LOG_PARSE column '{part}' needs a start ≥ 0 and a length ≥ 1");
                }

                columns.Add(new LogColumn(Unquote(words[0]), type));
                ranges.Add((s, n));
            }

            return columns.Count > 0 ? (columns, ranges.ToArray()) : throw new SqlFunctionException("FIXED_COLUMN_LOG_PARSE needs at least one column");
        }
    }

    private sealed class VariableParser : LogParser
    {
        private readonly string delimiters;
        private readonly char? escape;
        private readonly char? quote;

        public VariableParser(string columns, string delimiters, string? escape, string? quote)
            : base(ParseColumnList(columns, "VARIABLE_COLUMN_LOG_PARSE"))
        {
            this.delimiters = delimiters.Length > 0 ? delimiters : throw new SqlFunctionException("VARIABLE_COLUMN_LOG_PARSE delimiter must not be empty");
            this.escape = LikePattern.EscapeChar(string.IsNullOrEmpty(escape) ? null : escape, "VARIABLE_COLUMN_LOG_PARSE escape");
            this.quote = LikePattern.EscapeChar(string.IsNullOrEmpty(quote) ? null : quote, "VARIABLE_COLUMN_LOG_PARSE quote");
        }

        public override string?[]? Parse(string? line)
        {
            if (line is null)
            {
                return null;
            }

            var values = new string?[Columns.Count];
            var field = new StringBuilder();
            var index = 0;
            var quoted = false;
            for (var i = 0; i < line.Length && index < values.Length; i++)
            {
                var c = line[i];
                if (escape is { } e && c == e && i + 1 < line.Length)
                {
                    field.Append(line[++i]);
                }
                else if (quote is { } q && c == q)
                {
                    if (quoted && i + 1 < line.Length && line[i + 1] == q)
                    {
                        field.Append(q);
                        i++;
                    }
                    else
                    {
                        quoted = !quoted;
                    }
                }
                else if (!quoted && delimiters.Contains(c, StringComparison.Ordinal))
                {
                    values[index++] = field.ToString();
                    field.Clear();
                }
                else
                {
                    field.Append(c);
                }
            }

            if (index < values.Length)
            {
                values[index] = field.ToString();
            }

            return values;
        }
    }

    private sealed class SysLogParser() : LogParser(SysLogColumns)
    {
        private static readonly LogColumn[] SysLogColumns = [new("COLUMN1", "TIMESTAMP"), new("COLUMN2", DefaultType)];
        private static readonly Regex Line = new(@"\A(?:<\d{1,3}>)?([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ?(.*)\z", RegexOptions.Singleline | RegexOptions.CultureInvariant);

        public override string?[]? Parse(string? line)
        {
            if (line is null || Line.Match(line) is not { Success: true } m)
            {
                return null;
            }

            var month = Array.IndexOf(CultureInfo.InvariantCulture.DateTimeFormat.AbbreviatedMonthNames, m.Groups[1].Value) + 1;
            if (month == 0)
            {
                return null;
            }

            var day = int.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
            var time = string.Create(CultureInfo.InvariantCulture, $"{DateTime.UtcNow.Year:D4}-{month:D2}-{day:D2} {m.Groups[3].Value}:{m.Groups[4].Value}:{m.Groups[5].Value}");
            return [time, m.Groups[6].Value];
        }
    }

    private sealed class W3CParser(bool combined) : LogParser(combined ? CombinedColumns : CommonColumns)
    {
        private static readonly LogColumn[] CommonColumns =
        [
            new("COLUMN1", DefaultType), new("COLUMN2", DefaultType), new("COLUMN3", DefaultType), new("COLUMN4", "TIMESTAMP"),
            new("COLUMN5", DefaultType), new("COLUMN6", "INTEGER"), new("COLUMN7", "BIGINT"),
        ];

        private static readonly LogColumn[] CombinedColumns = [.. CommonColumns, new("COLUMN8", DefaultType), new("COLUMN9", DefaultType)];

        private static readonly Regex Common = new(
            "\\A(\\S+) (\\S+) (\\S+) \\[([^\\]]+)\\] \"((?:[^\"\\\\]|\\\\.)*)\" (\\S+) (\\S+)(?: \"((?:[^\"\\\\]|\\\\.)*)\" \"((?:[^\"\\\\]|\\\\.)*)\")?\\s*\\z",
            RegexOptions.CultureInvariant);

        public override string?[]? Parse(string? line)
        {
            if (line is null || Common.Match(line) is not { Success: true } m || (combined && !m.Groups[8].Success))
            {
                return null;
            }

            var values = new string?[Columns.Count];
            for (var i = 0; i < values.Length; i++)
            {
                var v = m.Groups[i + 1].Value;
                values[i] = v == "-" ? null : v;
            }

            // [10/Oct/2000:13:55:36 -0700] → UTC 'yyyy-MM-dd HH:mm:ss'
            values[3] = UtcTime(m.Groups[4].Value);
            return values;
        }

        private static string? UtcTime(string text)
        {
            var space = text.IndexOf(' ', StringComparison.Ordinal);
            var local = space < 0 ? text : text[..space];
            if (!DateTime.TryParseExact(local, "dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var t))
            {
                return null;
            }

            var zone = space < 0 ? "+0000" : text[(space + 1)..];
            if (zone.Length != 5 || (zone[0] != '+' && zone[0] != '-') || !int.TryParse(zone.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var hhmm))
            {
                return null;
            }

            var offset = new TimeSpan(hhmm / 100, hhmm % 100, 0);
            return (zone[0] == '+' ? t - offset : t + offset).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        }
    }
}
