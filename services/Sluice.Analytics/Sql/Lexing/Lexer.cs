using System.Text;

namespace Sluice.Analytics.Sql.Lexing;

/// <summary>Kinds of SQL tokens.</summary>
internal enum TokenKind
{
    Identifier,
    QuotedIdentifier,
    String,
    Number,
    Symbol,
    End,
}

/// <summary>A token with its 1-based source position; identifiers are already folded (unquoted → upper case).</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Line, int Column)
{
    public bool IsWord(string upper) => Kind == TokenKind.Identifier && Text == upper;

    public bool IsSymbol(string symbol) => Kind == TokenKind.Symbol && Text == symbol;

    public override string ToString() => Kind switch
    {
        TokenKind.End => "end of input",
        TokenKind.String => $"'{Text}'",
        TokenKind.QuotedIdentifier => $"\"{Text}\"",
        _ => Text,
    };
}

/// <summary>Splits application code into tokens, skipping whitespace and comments.</summary>
internal static class Lexer
{
    private const int MaxIdentifierLength = 128;

    public static List<Token> Tokenize(string code)
    {
        var tokens = new List<Token>();
        int i = 0, line = 1, lineStart = 0;
        while (true)
        {
            // Skip whitespace and comments, tracking lines.
            while (i < code.Length)
            {
                char c = code[i];
                if (c == '\n')
                {
                    i++;
                    line++;
                    lineStart = i;
                }
                else if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '-' && i + 1 < code.Length && code[i + 1] == '-')
                {
                    while (i < code.Length && code[i] != '\n')
                    {
                        i++;
                    }
                }
                else if (c == '/' && i + 1 < code.Length && code[i + 1] == '*')
                {
                    int startLine = line, startColumn = i - lineStart + 1;
                    i += 2;
                    while (i < code.Length && !(code[i] == '*' && i + 1 < code.Length && code[i + 1] == '/'))
                    {
                        if (code[i] == '\n')
                        {
                            line++;
                            lineStart = i + 1;
                        }

                        i++;
                    }

                    if (i >= code.Length)
                    {
                        throw new SqlCompileException("Unterminated comment", startLine, startColumn);
                    }

                    i += 2;
                }
                else
                {
                    break;
                }
            }

            int column = i - lineStart + 1;
            if (i >= code.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", line, column));
                return tokens;
            }

            char ch = code[i];
            if (char.IsLetter(ch) || ch == '_')
            {
                int start = i;
                while (i < code.Length && (char.IsLetterOrDigit(code[i]) || code[i] == '_' || code[i] == '$'))
                {
                    i++;
                }

                if (i - start > MaxIdentifierLength)
                {
                    throw new SqlCompileException($"Identifier longer than {MaxIdentifierLength} characters", line, column);
                }

                tokens.Add(new Token(TokenKind.Identifier, code[start..i].ToUpperInvariant(), line, column));
            }
            else if (char.IsDigit(ch) || (ch == '.' && i + 1 < code.Length && char.IsDigit(code[i + 1])))
            {
                int start = i;
                while (i < code.Length && (char.IsDigit(code[i]) || code[i] == '.'))
                {
                    i++;
                }

                if (i < code.Length && (code[i] == 'e' || code[i] == 'E'))
                {
                    int save = i;
                    i++;
                    if (i < code.Length && (code[i] == '+' || code[i] == '-'))
                    {
                        i++;
                    }

                    if (i < code.Length && char.IsDigit(code[i]))
                    {
                        while (i < code.Length && char.IsDigit(code[i]))
                        {
                            i++;
                        }
                    }
                    else
                    {
                        i = save;
                    }
                }

                tokens.Add(new Token(TokenKind.Number, code[start..i], line, column));
            }
            else if (ch == '\'' || ch == '"')
            {
                var text = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= code.Length)
                    {
                        throw new SqlCompileException(ch == '\'' ? "Unterminated string literal" : "Unterminated quoted identifier", line, column);
                    }

                    if (code[i] == ch)
                    {
                        if (i + 1 < code.Length && code[i + 1] == ch)
                        {
                            text.Append(ch);
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    if (code[i] == '\n')
                    {
                        line++;
                        lineStart = i + 1;
                    }

                    text.Append(code[i]);
                    i++;
                }

                if (ch == '"' && (text.Length == 0 || text.Length > MaxIdentifierLength))
                {
                    throw new SqlCompileException($"Quoted identifier must have 1 to {MaxIdentifierLength} characters", line, column);
                }

                tokens.Add(new Token(ch == '\'' ? TokenKind.String : TokenKind.QuotedIdentifier, text.ToString(), line, column));
            }
            else
            {
                string two = i + 1 < code.Length ? code.Substring(i, 2) : "";
                if (two is "<>" or "<=" or ">=" or "!=" or "||")
                {
                    tokens.Add(new Token(TokenKind.Symbol, two == "!=" ? "<>" : two, line, column));
                    i += 2;
                }
                else if ("(),;.*+-/<>=".Contains(ch))
                {
                    tokens.Add(new Token(TokenKind.Symbol, ch.ToString(), line, column));
                    i++;
                }
                else
                {
                    throw new SqlCompileException($"Unexpected character '{ch}'", line, column);
                }
            }
        }
    }
}
