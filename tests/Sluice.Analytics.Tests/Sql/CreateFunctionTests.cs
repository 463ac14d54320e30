using NUnit.Framework;
using Sluice.Analytics.Sql;
using Sluice.Analytics.Sql.Syntax;

namespace Sluice.Analytics.Tests.Sql;

/// <summary>CREATE FUNCTION (reference §7.2, "rarely used; optional"): parsed, then rejected by name and position.</summary>
public class CreateFunctionTests
{
    private const string Function = """
        CREATE OR REPLACE FUNCTION fahrenheit(celsius DOUBLE, "Offset" DECIMAL(4, 1))
          RETURNS DOUBLE
          CONTAINS SQL
          RETURN celsius * 9 / 5 + 32;
        """;

    [Test]
    public void Create_function_header_parses_name_parameters_and_skips_the_body()
    {
        var statements = Parser.ParseProgram(Function + "\nCREATE STREAM s (a INTEGER);");
        var function = (CreateFunctionStatement)statements[0];
        Assert.That((function.Name, function.OrReplace, function.At), Is.EqualTo(("FAHRENHEIT", true, new Position(1, 1))));
        Assert.That(function.Parameters, Is.EqualTo(new[] { "CELSIUS", "Offset" }));
        Assert.That(statements[1], Is.TypeOf<CreateStreamStatement>());
    }

    [Test]
    public void A_table_function_declaration_with_a_cursor_parameter_parses()
    {
        var function = (CreateFunctionStatement)Parser.ParseProgram("""
            CREATE FUNCTION rank_it(c CURSOR, n INTEGER) RETURNS TABLE(c.*, "groupRank" INTEGER)
              LANGUAGE JAVA PARAMETER STYLE SYSTEM DEFINED JAVA NO SQL EXTERNAL NAME 'class x.Y.z';
            """).Single();
        Assert.That(function.Parameters, Is.EqualTo(new[] { "C", "N" }));
    }

    [Test]
    public void Create_function_without_returns_is_a_syntax_error()
    {
        var e = Assert.Throws<SqlCompileException>(() => Parser.ParseProgram("CREATE FUNCTION f(a INTEGER) RETURN a;"))!;
        Assert.That((e.Line, e.Column), Is.EqualTo((1, 30)));
        Assert.That(e.Message, Does.Contain("RETURNS"));
    }

    [Test]
    public void An_application_with_create_function_is_rejected_naming_the_function_and_its_position()
    {
        var code = "CREATE STREAM OUT (A DOUBLE);\n" + Function;
        var e = Assert.Throws<SqlCompileException>(() => SqlCompiler.Compile(code, [Generic.Input], []))!;
        Assert.That(e.Message, Is.EqualTo("CREATE FUNCTION FAHRENHEIT: user-defined functions are not supported by Sluice; use the built-in functions or a pre-processing Lambda at line 2, column 1"));
        Assert.That((e.Line, e.Column), Is.EqualTo((2, 1)));
    }
}
