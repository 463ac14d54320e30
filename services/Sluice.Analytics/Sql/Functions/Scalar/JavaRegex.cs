using System.Text;
using System.Text.RegularExpressions;

namespace Sluice.Analytics.Sql.Functions.Scalar;

/// <summary>
/// Java regex syntax that .NET reads differently or not at all, rewritten for .NET: <c>\Q…\E</c> quoting and the POSIX
/// classes <c>\p{Alpha}</c>, <c>\p{Digit}</c>, <c>\p{Punct}</c>… (US-ASCII, as in Java; <c>\P{…}</c> negated outside
/// brackets). Everything else passes through: the two dialects agree on classes, groups, quantifiers and look-around.
/// </summary>
public static class JavaRegex
{
    private static readonly Dictionary<string, string> Posix = new(StringComparer.Ordinal)
    {
        ["Lower"] = "a-z",
        ["Upper"] = "A-Z",
        ["ASCII"] = "\\x00-\\x7F",
        ["Alpha"] = "a-zA-Z",
        ["Digit"] = "0-9",
        ["Alnum"] = "a-zA-Z0-9",
        ["Punct"] = "!-/:-@\\[-`{-~",
        ["Graph"] = "!-~",
        ["Print"] = " -~",
        ["Blank"] = " \\t",
        ["Cntrl"] = "\\x00-\\x1F\\x7F",
        ["XDigit"] = "0-9a-fA-F",
        ["Space"] = " \\t\\n\\x0B\\f\\r",
    };

    /// <summary>The .NET pattern for a Java pattern.</summary>
    public static string Translate(string java)
    {
        if (!java.Contains("\\Q", StringComparison.Ordinal) && !java.Contains("\\p{", StringComparison.Ordinal) && !java.Contains("\\P{", StringComparison.Ordinal))
        {
            return java;
        }

        var sb = new StringBuilder(java.Length + 16);
        var inClass = false;
        for (var i = 0; i < java.Length; i++)
        {
            var c = java[i];
            if (c != '\\' || i + 1 >= java.Length)
            {
                if (c == '[')
                {
                    inClass = true;
                }
                else if (c == ']')
                {
                    inClass = false;
                }

                sb.Append(c);
                continue;
            }

            var next = java[i + 1];
            if (next == 'Q')
            {
                var end = java.IndexOf("\\E", i + 2, StringComparison.Ordinal);
                var literal = end < 0 ? java[(i + 2)..] : java[(i + 2)..end];
                sb.Append(inClass ? EscapeInClass(literal) : Regex.Escape(literal));
                i = end < 0 ? java.Length : end + 1;
                continue;
            }

            if ((next == 'p' || next == 'P') && i + 2 < java.Length && java[i + 2] == '{')
            {
                var close = java.IndexOf('}', i + 3);
                var name = close < 0 ? "" : java[(i + 3)..close];
                if (name.StartsWith("Is", StringComparison.Ordinal) && Posix.ContainsKey(name[2..]))
                {
                    name = name[2..];
                }

                if (Posix.TryGetValue(name, out var range) && !(inClass && next == 'P'))
                {
                    sb.Append(inClass ? range : (next == 'P' ? "[^" : "[") + range + "]");
                    i = close;
                    continue;
                }
            }

            sb.Append(c).Append(next);
            i++;
        }

        return sb.ToString();
    }

    private static string EscapeInClass(string literal)
    {
        var sb = new StringBuilder(literal.Length * 2);
        foreach (var ch in literal)
        {
            if (ch is '\\' or ']' or '[' or '^' or '-')
            {
                sb.Append('\\');
            }

            sb.Append(ch);
        }

        return sb.ToString();
    }
}
