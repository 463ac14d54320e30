using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Sluice.Analytics.Sql.Functions.Scalar;

/// <summary>
/// A Java <c>SimpleDateFormat</c> pattern (English names, UTC), compiled once: letters G y Y u M L d D E F w W a H k K h
/// m s S z Z X, <c>'quoted text'</c> and <c>''</c> for a quote. Formatting follows Java's padding rules (<c>yy</c> two
/// digits, <c>MMM</c> short month name, <c>S</c> milliseconds as a number). Parsing is strict about literals; a numeric
/// field directly followed by another numeric field takes exactly its pattern width (<c>yyyyMMdd</c>).
/// </summary>
public sealed class JavaDateFormat
{
    private static readonly ConcurrentDictionary<string, JavaDateFormat> Cache = new(StringComparer.Ordinal);
    private static readonly string[] MonthNames = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
    private static readonly string[] DayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

    private readonly Token[] tokens;

    private JavaDateFormat(string pattern, Token[] tokens)
    {
        Pattern = pattern;
        this.tokens = tokens;
    }

    public string Pattern { get; }

    private readonly record struct Token(char Letter, int Count, string? Literal);

    /// <summary>The compiled (cached) format; throws <see cref="SqlFunctionException"/> for an unknown pattern letter or an unclosed quote.</summary>
    public static JavaDateFormat Get(string pattern)
    {
        if (Cache.TryGetValue(pattern, out var f))
        {
            return f;
        }

        f = new JavaDateFormat(pattern, Tokenize(pattern));
        if (Cache.Count > 512)
        {
            Cache.Clear();
        }

        Cache[pattern] = f;
        return f;
    }

    private static Token[] Tokenize(string pattern)
    {
        var list = new List<Token>();
        var literal = new StringBuilder();
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\'')
            {
                if (i + 1 < pattern.Length && pattern[i + 1] == '\'')
                {
                    literal.Append('\'');
                    i++;
                    continue;
                }

                var close = i + 1;
                for (; ; close++)
                {
                    if (close >= pattern.Length)
                    {
                        throw new SqlFunctionException($"date format '{pattern}' has an unterminated quote");
                    }

                    if (pattern[close] == '\'')
                    {
                        if (close + 1 < pattern.Length && pattern[close + 1] == '\'')
                        {
                            literal.Append('\'');
                            close++;
                            continue;
                        }

                        break;
                    }

                    literal.Append(pattern[close]);
                }

                i = close;
            }
            else if (char.IsAsciiLetter(c))
            {
                if (!"GyYuMLdDEFwWaHkKhmsSzZX".Contains(c, StringComparison.Ordinal))
                {
                    throw new SqlFunctionException($"date format '{pattern}' has unknown pattern letter '{c}'");
                }

                if (literal.Length > 0)
                {
                    list.Add(new Token('\0', 0, literal.ToString()));
                    literal.Clear();
                }

                var n = 1;
                while (i + 1 < pattern.Length && pattern[i + 1] == c)
                {
                    n++;
                    i++;
                }

                list.Add(new Token(c, n, null));
            }
            else
            {
                literal.Append(c);
            }
        }

        if (literal.Length > 0)
        {
            list.Add(new Token('\0', 0, literal.ToString()));
        }

        return [.. list];
    }

    public string Format(DateTime t)
    {
        var sb = new StringBuilder(Pattern.Length + 8);
        foreach (var tok in tokens)
        {
            if (tok.Literal is { } lit)
            {
                sb.Append(lit);
                continue;
            }

            var n = tok.Count;
            switch (tok.Letter)
            {
                case 'G': sb.Append(t.Year > 0 ? "AD" : "BC"); break;
                case 'y' or 'Y': Number(sb, n == 2 ? t.Year % 100 : t.Year, n); break;
                case 'u': Number(sb, t.DayOfWeek == DayOfWeek.Sunday ? 7 : (int)t.DayOfWeek, n); break;
                case 'M' or 'L':
                    if (n >= 4)
                    {
                        sb.Append(MonthNames[t.Month - 1]);
                    }
                    else if (n == 3)
                    {
                        sb.Append(MonthNames[t.Month - 1], 0, 3);
                    }
                    else
                    {
                        Number(sb, t.Month, n);
                    }

                    break;
                case 'd': Number(sb, t.Day, n); break;
                case 'D': Number(sb, t.DayOfYear, n); break;
                case 'E': sb.Append(n >= 4 ? DayNames[(int)t.DayOfWeek] : DayNames[(int)t.DayOfWeek][..3]); break;
                case 'F': Number(sb, ((t.Day - 1) / 7) + 1, n); break;
                case 'w': Number(sb, WeekOfYear(t), n); break;
                case 'W': Number(sb, WeekOfMonth(t), n); break;
                case 'a': sb.Append(t.Hour < 12 ? "AM" : "PM"); break;
                case 'H': Number(sb, t.Hour, n); break;
                case 'k': Number(sb, t.Hour == 0 ? 24 : t.Hour, n); break;
                case 'K': Number(sb, t.Hour % 12, n); break;
                case 'h': Number(sb, t.Hour % 12 == 0 ? 12 : t.Hour % 12, n); break;
                case 'm': Number(sb, t.Minute, n); break;
                case 's': Number(sb, t.Second, n); break;
                case 'S': Number(sb, t.Millisecond, n); break;
                case 'z': sb.Append(n >= 4 ? "Coordinated Universal Time" : "UTC"); break;
                case 'Z': sb.Append("+0000"); break;
                case 'X': sb.Append('Z'); break;
            }
        }

        return sb.ToString();
    }

    /// <summary>Parses <paramref name="s"/> (UTC); fields the pattern lacks default to 1970-01-01 00:00:00.000. Throws <see cref="SqlFunctionException"/> when it does not match.</summary>
    public DateTime Parse(string s)
    {
        int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, ms = 0, dayOfYear = -1;
        var pm = -1;
        var hour12 = -1;
        var pos = 0;
        for (var ti = 0; ti < tokens.Length; ti++)
        {
            var tok = tokens[ti];
            if (tok.Literal is { } lit)
            {
                if (pos + lit.Length > s.Length || string.CompareOrdinal(s, pos, lit, 0, lit.Length) != 0)
                {
                    throw Mismatch(s, pos);
                }

                pos += lit.Length;
                continue;
            }

            var fixedWidth = ti + 1 < tokens.Length && IsNumeric(tokens[ti + 1]) ? tok.Count : 0;
            switch (tok.Letter)
            {
                case 'G':
                    if (MatchWord(s, ref pos, ["AD", "BC"]) < 0)
                    {
                        throw Mismatch(s, pos);
                    }

                    break;
                case 'y' or 'Y':
                    var start = pos;
                    var y = ReadNumber(s, ref pos, fixedWidth);
                    year = tok.Count <= 2 && pos - start == 2 ? TwoDigitYear(y) : y;
                    break;
                case 'u': ReadNumber(s, ref pos, fixedWidth); break;
                case 'M' or 'L':
                    if (tok.Count >= 3)
                    {
                        var m = MatchWord(s, ref pos, MonthNames);
                        month = m >= 0 ? m + 1 : throw Mismatch(s, pos);
                    }
                    else
                    {
                        month = ReadNumber(s, ref pos, fixedWidth);
                    }

                    break;
                case 'd': day = ReadNumber(s, ref pos, fixedWidth); break;
                case 'D': dayOfYear = ReadNumber(s, ref pos, fixedWidth); break;
                case 'E':
                    if (MatchWord(s, ref pos, DayNames) < 0)
                    {
                        throw Mismatch(s, pos);
                    }

                    break;
                case 'F' or 'w' or 'W': ReadNumber(s, ref pos, fixedWidth); break;
                case 'a':
                    pm = MatchWord(s, ref pos, ["AM", "PM"]);
                    if (pm < 0)
                    {
                        throw Mismatch(s, pos);
                    }

                    break;
                case 'H': hour = ReadNumber(s, ref pos, fixedWidth); break;
                case 'k': hour = ReadNumber(s, ref pos, fixedWidth) % 24; break;
                case 'K': hour12 = ReadNumber(s, ref pos, fixedWidth); break;
                case 'h': hour12 = ReadNumber(s, ref pos, fixedWidth) % 12; break;
                case 'm': minute = ReadNumber(s, ref pos, fixedWidth); break;
                case 's': second = ReadNumber(s, ref pos, fixedWidth); break;
                case 'S': ms = ReadNumber(s, ref pos, fixedWidth); break;
                case 'z' or 'Z' or 'X': ReadZone(s, ref pos); break;
            }

            if (pos < 0)
            {
                throw Mismatch(s, 0);
            }
        }

        if (pos != s.Length)
        {
            throw Mismatch(s, pos);
        }

        if (hour12 >= 0)
        {
            hour = hour12 + (pm == 1 ? 12 : 0);
        }
        else if (pm == 1 && hour < 12)
        {
            hour += 12;
        }

        try
        {
            var date = dayOfYear > 0 ? new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(dayOfYear - 1) : new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
            return date.AddHours(hour).AddMinutes(minute).AddSeconds(second).AddMilliseconds(ms);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new SqlFunctionException($"'{s}' is not a valid date for format '{Pattern}'");
        }
    }

    private static bool IsNumeric(Token t) => t.Literal is null && !(t.Letter is 'G' or 'E' or 'a' or 'z' or 'Z' or 'X' || (t.Letter is 'M' or 'L' && t.Count >= 3));

    private SqlFunctionException Mismatch(string s, int pos) =>
        new($"'{s}' does not match date format '{Pattern}' at position {pos + 1}");

    private int ReadNumber(string s, ref int pos, int width)
    {
        var start = pos;
        var negative = pos < s.Length && s[pos] == '-' && width == 0;
        if (negative)
        {
            pos++;
        }

        var value = 0L;
        var end = width > 0 ? Math.Min(s.Length, pos + width) : s.Length;
        var digitsStart = pos;
        while (pos < end && char.IsAsciiDigit(s[pos]) && value < int.MaxValue)
        {
            value = value * 10 + (s[pos++] - '0');
        }

        if (pos == digitsStart || value > int.MaxValue)
        {
            throw Mismatch(s, start);
        }

        return negative ? -(int)value : (int)value;
    }

    private static int MatchWord(string s, ref int pos, string[] words)
    {
        // Full names first, then three-letter abbreviations (Java accepts both for MMM/MMMM and E/EEEE).
        for (var i = 0; i < words.Length; i++)
        {
            if (pos + words[i].Length <= s.Length && string.Compare(s, pos, words[i], 0, words[i].Length, StringComparison.OrdinalIgnoreCase) == 0)
            {
                pos += words[i].Length;
                return i;
            }
        }

        for (var i = 0; i < words.Length; i++)
        {
            if (words[i].Length > 3 && pos + 3 <= s.Length && string.Compare(s, pos, words[i], 0, 3, StringComparison.OrdinalIgnoreCase) == 0)
            {
                pos += 3;
                return i;
            }
        }

        return -1;
    }

    private void ReadZone(string s, ref int pos)
    {
        // Only UTC is meaningful here (timestamps have no zone): accept Z, UTC, GMT and +00:00 / +0000.
        foreach (var z in (string[])["UTC", "GMT", "Z", "+00:00", "+0000", "+00", "-00:00", "-0000"])
        {
            if (pos + z.Length <= s.Length && string.Compare(s, pos, z, 0, z.Length, StringComparison.OrdinalIgnoreCase) == 0)
            {
                pos += z.Length;
                return;
            }
        }

        throw new SqlFunctionException($"'{s}' has a time zone other than UTC at position {pos + 1} (format '{Pattern}')");
    }

    // Java resolves a two-digit year into the century window 80 years before to 20 years after now.
    private static int TwoDigitYear(int yy)
    {
        var now = DateTime.UtcNow.Year;
        var y = (now / 100 * 100) + yy;
        if (y > now + 20)
        {
            y -= 100;
        }
        else if (y <= now - 80)
        {
            y += 100;
        }

        return y;
    }

    private static void Number(StringBuilder sb, int value, int width)
    {
        if (value < 0)
        {
            sb.Append('-');
            value = -value;
        }

        sb.Append(value.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0'));
    }

    // Java's US defaults: weeks start on Sunday; week 1 contains January 1st.
    private static int WeekOfYear(DateTime t)
    {
        var jan1 = new DateTime(t.Year, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var week = ((t.DayOfYear - 1 + (int)jan1.DayOfWeek) / 7) + 1;
        var nextJan1 = jan1.AddYears(1);
        return t.Date > nextJan1.AddDays(-(int)nextJan1.DayOfWeek - 1) && nextJan1.DayOfWeek != DayOfWeek.Sunday ? 1 : week;
    }

    private static int WeekOfMonth(DateTime t)
    {
        var first = new DateTime(t.Year, t.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        return ((t.Day - 1 + (int)first.DayOfWeek) / 7) + 1;
    }
}
