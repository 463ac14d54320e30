namespace Sluice.Analytics.Sql.Functions.Scalar;

/// <summary>
/// String scalar functions. Positions are 1-based and count UTF-16 code units. The engine maps the keyword forms onto
/// these: <c>SUBSTRING(s FROM p FOR n)</c> → <see cref="Substring(string?, long?, long?)"/>, <c>POSITION(a IN b)</c> →
/// <see cref="Position"/>, <c>OVERLAY(s PLACING r FROM p FOR n)</c> → <see cref="Overlay(string?, string?, long?, long?)"/>,
/// <c>TRIM(BOTH|LEADING|TRAILING c FROM s)</c> → <see cref="TrimBoth(string?, string?)"/> / <see cref="TrimLeading(string?, string?)"/> /
/// <see cref="TrimTrailing(string?, string?)"/>, <c>a || b</c> → <see cref="Concat"/>.
/// </summary>
public static class StringFunctions
{
    [SqlFunction("CHAR_LENGTH")]
    [SqlFunction("CHARACTER_LENGTH")]
    public static long? CharLength(string? s) => s?.Length;

    [SqlFunction("UPPER")]
    public static string? Upper(string? s) => s?.ToUpperInvariant();

    [SqlFunction("LOWER")]
    public static string? Lower(string? s) => s?.ToLowerInvariant();

    /// <summary>First letter of each word upper case, the rest lower case; a word is a run of letters and digits.</summary>
    [SqlFunction("INITCAP")]
    public static string? Initcap(string? s)
    {
        if (s is null)
        {
            return null;
        }

        return string.Create(s.Length, s, static (dst, src) =>
        {
            var startOfWord = true;
            for (var i = 0; i < src.Length; i++)
            {
                var c = src[i];
                if (char.IsLetterOrDigit(c))
                {
                    dst[i] = startOfWord ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c);
                    startOfWord = false;
                }
                else
                {
                    dst[i] = c;
                    startOfWord = true;
                }
            }
        });
    }

    /// <summary>
    /// SQL SUBSTRING: the characters at positions p .. p+n-1 that exist. A start before 1 still counts its length from p
    /// (SUBSTRING('abc', 0, 2) = 'a'); a start past the end gives ''; a negative length is an error row.
    /// </summary>
    [SqlFunction("SUBSTRING")]
    public static string? Substring(string? s, long? start, long? length)
    {
        if (s is null || start is not { } p || length is not { } n)
        {
            return null;
        }

        if (n < 0)
        {
            throw new SqlFunctionException($"SUBSTRING length must not be negative, got {n}");
        }

        // end is exclusive, 1-based; saturate so huge p + n does not overflow.
        var end = p > long.MaxValue - n ? long.MaxValue : p + n;
        var from = Math.Max(p, 1);
        var to = Math.Min(end, s.Length + 1L);
        return to <= from ? string.Empty : s.Substring((int)(from - 1), (int)(to - from));
    }

    /// <summary>SUBSTRING without a length: from position p (clamped to 1) to the end.</summary>
    [SqlFunction("SUBSTRING")]
    public static string? Substring(string? s, long? start)
    {
        if (s is null || start is not { } p)
        {
            return null;
        }

        var from = Math.Max(p, 1);
        return from > s.Length ? string.Empty : s[(int)(from - 1)..];
    }

    /// <summary>POSITION(needle IN haystack): the 1-based position of the first occurrence, 0 if absent, 1 for an empty needle.</summary>
    [SqlFunction("POSITION")]
    public static long? Position(string? needle, string? haystack) =>
        needle is null || haystack is null ? null : haystack.IndexOf(needle, StringComparison.Ordinal) + 1;

    /// <summary>OVERLAY(s PLACING r FROM p FOR n) = SUBSTRING(s, 1, p - 1) || r || SUBSTRING(s, p + n); p must be ≥ 1, n ≥ 0.</summary>
    [SqlFunction("OVERLAY")]
    public static string? Overlay(string? s, string? replacement, long? start, long? length)
    {
        if (s is null || replacement is null || start is not { } p || length is not { } n)
        {
            return null;
        }

        if (p < 1)
        {
            throw new SqlFunctionException($"OVERLAY start position must be at least 1, got {p}");
        }

        if (n < 0)
        {
            throw new SqlFunctionException($"OVERLAY length must not be negative, got {n}");
        }

        return string.Concat(Substring(s, 1, p - 1), replacement, Substring(s, p + n));
    }

    /// <summary>OVERLAY without FOR: replaces as many characters as the replacement has.</summary>
    [SqlFunction("OVERLAY")]
    public static string? Overlay(string? s, string? replacement, long? start) =>
        Overlay(s, replacement, start, replacement?.Length);

    /// <summary>s1 || s2; NULL if either is NULL.</summary>
    public static string? Concat(string? a, string? b) => a is null || b is null ? null : string.Concat(a, b);

    /// <summary>TRIM(BOTH c FROM s); the trim character must be exactly one character (default ' ').</summary>
    public static string? TrimBoth(string? s, string? character) => s is null || character is null ? null : s.Trim(TrimChar(character));

    public static string? TrimLeading(string? s, string? character) => s is null || character is null ? null : s.TrimStart(TrimChar(character));

    public static string? TrimTrailing(string? s, string? character) => s is null || character is null ? null : s.TrimEnd(TrimChar(character));

    /// <summary>TRIM(s): spaces off both ends.</summary>
    [SqlFunction("TRIM")]
    public static string? TrimBoth(string? s) => s?.Trim(' ');

    public static string? TrimLeading(string? s) => s?.TrimStart(' ');

    public static string? TrimTrailing(string? s) => s?.TrimEnd(' ');

    private static char TrimChar(string character) =>
        character.Length == 1 ? character[0] : throw new SqlFunctionException($"TRIM character must be a single character, got '{character}'");
}
