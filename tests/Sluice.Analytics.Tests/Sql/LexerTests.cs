using NUnit.Framework;
using Sluice.Analytics.Sql;
using Sluice.Analytics.Sql.Lexing;

namespace Sluice.Analytics.Tests.Sql;

public class LexerTests
{
    [Test]
    public void Unquoted_identifiers_fold_to_upper_case_and_quoted_ones_stay_exact()
    {
        var tokens = Lexer.Tokenize("select \"MixedCase\", plain_Name, \"with \"\"quote\"\"\"");
        Assert.That(tokens.Select(t => (t.Kind, t.Text)), Is.EqualTo(new[]
        {
            (TokenKind.Identifier, "SELECT"),
            (TokenKind.QuotedIdentifier, "MixedCase"),
            (TokenKind.Symbol, ","),
            (TokenKind.Identifier, "PLAIN_NAME"),
            (TokenKind.Symbol, ","),
            (TokenKind.QuotedIdentifier, "with \"quote\""),
            (TokenKind.End, ""),
        }));
    }

    [Test]
    public void Comments_are_skipped_and_positions_count_lines_and_columns()
    {
        var tokens = Lexer.Tokenize("-- a comment\n  /* block\n comment */ x <> 'it''s' || 1.5e3");
        Assert.That(tokens[0], Is.EqualTo(new Token(TokenKind.Identifier, "X", 3, 13)));
        Assert.That(tokens[1].Text, Is.EqualTo("<>"));
        Assert.That(tokens[2], Is.EqualTo(new Token(TokenKind.String, "it's", 3, 18)));
        Assert.That(tokens[3].Text, Is.EqualTo("||"));
        Assert.That(tokens[4], Is.EqualTo(new Token(TokenKind.Number, "1.5e3", 3, 29)));
    }

    [TestCase("'open", 1, 1, "Unterminated string literal")]
    [TestCase("a\n  \"open", 2, 3, "Unterminated quoted identifier")]
    [TestCase("x /* never closed", 1, 3, "Unterminated comment")]
    [TestCase("a ? b", 1, 3, "Unexpected character '?'")]
    public void Malformed_input_is_rejected_with_its_position(string code, int line, int column, string message)
    {
        var e = Assert.Throws<SqlCompileException>(() => Lexer.Tokenize(code))!;
        Assert.That((e.Line, e.Column), Is.EqualTo((line, column)));
        Assert.That(e.Message, Does.StartWith(message));
    }

    [Test]
    public void Identifiers_longer_than_128_characters_are_rejected()
    {
        Assert.That(() => Lexer.Tokenize(new string('a', 129)), Throws.TypeOf<SqlCompileException>().With.Message.Contains("128"));
        Assert.That(Lexer.Tokenize(new string('a', 128))[0].Text, Has.Length.EqualTo(128));
    }
}
