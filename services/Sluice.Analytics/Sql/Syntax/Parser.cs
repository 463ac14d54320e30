using System.Globalization;
using Sluice.Analytics.Sql.Lexing;

namespace Sluice.Analytics.Sql.Syntax;

/// <summary>Recursive-descent parser for the KDA SQL dialect; errors carry the offending token's position.</summary>
internal sealed class Parser
{
    private static readonly HashSet<string> TimeUnits = ["YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND", "MILLISECOND", "WEEK", "QUARTER"];

    // Words that end an expression or a FROM item, so they are never taken as an implicit alias.
    private static readonly HashSet<string> Reserved =
    [
        "SELECT", "STREAM", "FROM", "WHERE", "GROUP", "BY", "HAVING", "WINDOW", "WINDOWED", "ORDER", "UNION", "ALL", "JOIN",
        "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "ON", "AS", "AND", "OR", "NOT", "IS", "NULL", "IN", "LIKE",
        "SIMILAR", "BETWEEN", "CASE", "WHEN", "THEN", "ELSE", "END", "OVER", "PARTITION", "RANGE", "ROWS", "PRECEDING",
        "DISTINCT", "INSERT", "INTO", "CREATE", "PUMP", "TIMESTAMP", "INTERVAL", "TRUE", "FALSE", "DESC", "ASC", "ESCAPE",
        "TO", "FOR", "VALUES", "USER", "YEAR", "ROWTIME", "CURSOR", "TABLE", "UNKNOWN", "STAGGER",
    ];

    private readonly List<Token> tokens;
    private int pos;

    private Parser(List<Token> tokens) => this.tokens = tokens;

    private Token Current => tokens[pos];

    /// <summary>Parses a whole application.</summary>
    public static List<Statement> ParseProgram(string code)
    {
        var parser = new Parser(Lexer.Tokenize(code));
        var statements = new List<Statement>();
        while (parser.Current.Kind != TokenKind.End)
        {
            if (parser.Current.IsSymbol(";"))
            {
                parser.pos++;
                continue;
            }

            statements.Add(parser.ParseStatement());
            if (parser.Current.Kind != TokenKind.End)
            {
                parser.ExpectSymbol(";");
            }
        }

        return statements;
    }

    /// <summary>Parses a column type on its own (RecordColumns SqlType).</summary>
    public static SqlType ParseTypeText(string text)
    {
        var parser = new Parser(Lexer.Tokenize(text));
        var type = parser.ParseType();
        if (parser.Current.Kind != TokenKind.End)
        {
            throw parser.Error($"Unexpected {parser.Current} after type");
        }

        return type;
    }

    /// <summary>Parses one expression (tests and tools).</summary>
    public static Expr ParseExpressionText(string text)
    {
        var parser = new Parser(Lexer.Tokenize(text));
        var expr = parser.ParseExpr();
        if (parser.Current.Kind != TokenKind.End)
        {
            throw parser.Error($"Unexpected {parser.Current}");
        }

        return expr;
    }

    private SqlCompileException Error(string message) => Error(message, Current);

    private static SqlCompileException Error(string message, Token at) => new($"{message} at line {at.Line}, column {at.Column}", at.Line, at.Column);

    private Position At() => new(Current.Line, Current.Column);

    private Token Next() => tokens[pos++];

    private bool AcceptWord(string word)
    {
        if (Current.IsWord(word))
        {
            pos++;
            return true;
        }

        return false;
    }

    private bool AcceptSymbol(string symbol)
    {
        if (Current.IsSymbol(symbol))
        {
            pos++;
            return true;
        }

        return false;
    }

    private void ExpectWord(string word)
    {
        if (!AcceptWord(word))
        {
            throw Error($"Expected {word} but found {Current}");
        }
    }

    private void ExpectSymbol(string symbol)
    {
        if (!AcceptSymbol(symbol))
        {
            throw Error($"Expected '{symbol}' but found {Current}");
        }
    }

    private bool PeekWord(int ahead, string word) => pos + ahead < tokens.Count && tokens[pos + ahead].IsWord(word);

    private string ParseName()
    {
        var token = Current;
        if (token.Kind == TokenKind.QuotedIdentifier || (token.Kind == TokenKind.Identifier && !Reserved.Contains(token.Text)))
        {
            pos++;
            return token.Text;
        }

        throw Error($"Expected a name but found {token}");
    }

    private Statement ParseStatement()
    {
        var at = At();
        ExpectWord("CREATE");
        bool orReplace = false;
        if (AcceptWord("OR"))
        {
            ExpectWord("REPLACE");
            orReplace = true;
        }

        if (AcceptWord("STREAM"))
        {
            string name = ParseName();
            ExpectSymbol("(");
            var columns = new List<ColumnDef>();
            do
            {
                var columnAt = At();
                if (Current.IsWord("ROWTIME"))
                {
                    throw Error("ROWTIME is implicit and cannot be declared");
                }

                string column = ParseName();
                var type = ParseType();
                bool notNull = false;
                if (AcceptWord("NOT"))
                {
                    ExpectWord("NULL");
                    notNull = true;
                }
                else
                {
                    AcceptWord("NULL");
                }

                columns.Add(new ColumnDef(columnAt, column, type, notNull));
            }
            while (AcceptSymbol(","));
            ExpectSymbol(")");
            SkipDescription();
            return new CreateStreamStatement(at, name, columns, orReplace);
        }

        if (AcceptWord("PUMP"))
        {
            string name = ParseName();
            SkipDescription();
            ExpectWord("AS");
            ExpectWord("INSERT");
            ExpectWord("INTO");
            string target = ParseName();
            List<(string, Position)>? columns = null;
            if (Current.IsSymbol("(") && !PeekWord(1, "SELECT"))
            {
                pos++;
                columns = [];
                do
                {
                    var columnAt = At();
                    columns.Add((ParseName(), columnAt));
                }
                while (AcceptSymbol(","));
                ExpectSymbol(")");
            }

            var query = ParseQuery();
            return new CreatePumpStatement(at, name, target, columns, query, orReplace);
        }

        if (AcceptWord("FUNCTION"))
        {
            return ParseCreateFunction(at, orReplace);
        }

        throw Error($"Expected STREAM, PUMP or FUNCTION after CREATE but found {Current}");
    }

    // CREATE FUNCTION name (param type, ...) RETURNS type-or-TABLE(...) body: the header is read so the planner can name
    // the function when it rejects it; the body (LANGUAGE …, RETURN …, EXTERNAL NAME …) is skipped up to the ';'.
    private CreateFunctionStatement ParseCreateFunction(Position at, bool orReplace)
    {
        string name = ParseName();
        ExpectSymbol("(");
        var parameters = new List<string>();
        if (!AcceptSymbol(")"))
        {
            do
            {
                parameters.Add(ParseName());
                SkipUntil(",", ")");
            }
            while (AcceptSymbol(","));
            ExpectSymbol(")");
        }

        ExpectWord("RETURNS");
        SkipUntil(";");
        return new CreateFunctionStatement(at, name, parameters, orReplace);
    }

    // Skips tokens (balancing parentheses) up to one of the given symbols at depth 0, or the end.
    private void SkipUntil(params string[] symbols)
    {
        int depth = 0;
        while (Current.Kind != TokenKind.End)
        {
            if (depth == 0 && Current.Kind == TokenKind.Symbol && Array.IndexOf(symbols, Current.Text) >= 0)
            {
                return;
            }

            depth += Current.IsSymbol("(") ? 1 : Current.IsSymbol(")") ? -1 : 0;
            if (depth < 0)
            {
                throw Error($"Unbalanced {Current}");
            }

            pos++;
        }
    }

    private void SkipDescription()
    {
        if (AcceptWord("DESCRIPTION"))
        {
            if (Current.Kind != TokenKind.String)
            {
                throw Error("Expected a string after DESCRIPTION");
            }

            pos++;
        }
    }

    public SqlType ParseType()
    {
        var token = Current;
        if (token.Kind != TokenKind.Identifier)
        {
            throw Error($"Expected a type but found {token}");
        }

        pos++;
        switch (token.Text)
        {
            case "BOOLEAN": return new SqlType(SqlTypeKind.Boolean);
            case "TINYINT": return new SqlType(SqlTypeKind.TinyInt);
            case "SMALLINT": return new SqlType(SqlTypeKind.SmallInt);
            case "INTEGER" or "INT": return new SqlType(SqlTypeKind.Integer);
            case "BIGINT": return new SqlType(SqlTypeKind.BigInt);
            case "REAL": return new SqlType(SqlTypeKind.Real);
            case "FLOAT": return new SqlType(SqlTypeKind.Double);
            case "DOUBLE":
                AcceptWord("PRECISION");
                return new SqlType(SqlTypeKind.Double);
            case "DECIMAL" or "DEC" or "NUMERIC":
            {
                int precision = 19, scale = 0;
                if (AcceptSymbol("("))
                {
                    precision = ParseSize(1, 38, "DECIMAL precision");
                    if (AcceptSymbol(","))
                    {
                        scale = ParseSize(0, precision, "DECIMAL scale");
                    }

                    ExpectSymbol(")");
                }

                return new SqlType(SqlTypeKind.Decimal, Precision: precision, Scale: scale);
            }

            case "CHAR" or "CHARACTER" or "VARCHAR" or "BINARY" or "VARBINARY":
            {
                bool varying = token.Text is "VARCHAR" or "VARBINARY" || AcceptWord("VARYING");
                bool binary = token.Text is "BINARY" or "VARBINARY";
                int length = 1;
                if (AcceptSymbol("("))
                {
                    length = ParseSize(1, 65534, $"{token.Text} length");
                    ExpectSymbol(")");
                }
                else if (varying)
                {
                    throw Error($"{token.Text} needs a length, e.g. {token.Text}(64)");
                }

                var kind = binary ? (varying ? SqlTypeKind.Varbinary : SqlTypeKind.Binary) : (varying ? SqlTypeKind.Varchar : SqlTypeKind.Char);
                return new SqlType(kind, Length: length);
            }

            case "DATE": return new SqlType(SqlTypeKind.Date);
            case "TIME": return new SqlType(SqlTypeKind.Time);
            case "TIMESTAMP": return new SqlType(SqlTypeKind.Timestamp);
            case "INTERVAL":
            {
                string unit = ParseUnit();
                if (AcceptWord("TO"))
                {
                    ParseUnit();
                }

                return new SqlType(unit is "YEAR" or "MONTH" ? SqlTypeKind.IntervalYearToMonth : SqlTypeKind.IntervalDayToSecond);
            }

            default:
                pos--;
                throw Error($"Unknown type {token.Text}");
        }
    }

    private int ParseSize(int min, int max, string what)
    {
        var token = Current;
        if (token.Kind != TokenKind.Number || !int.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw Error($"{what} must be an integer from {min} to {max}, found {token}");
        }

        pos++;
        return value;
    }

    private string ParseUnit()
    {
        var token = Current;
        if (token.Kind == TokenKind.Identifier && TimeUnits.Contains(token.Text))
        {
            pos++;
            return token.Text;
        }

        throw Error($"Expected a time unit (SECOND, MINUTE, HOUR, DAY, MONTH, YEAR) but found {token}");
    }

    // ---- queries ----

    private Query ParseQuery()
    {
        var left = ParseQueryTerm();
        while (Current.IsWord("UNION"))
        {
            var at = At();
            pos++;
            ExpectWord("ALL");
            var right = ParseQueryTerm();
            left = new UnionQuery(at, left, right);
        }

        return left;
    }

    private Query ParseQueryTerm()
    {
        if (Current.IsSymbol("("))
        {
            pos++;
            var inner = ParseQuery();
            ExpectSymbol(")");
            return inner;
        }

        return ParseSelect();
    }

    private SelectQuery ParseSelect()
    {
        var at = At();
        ExpectWord("SELECT");
        bool stream = AcceptWord("STREAM");
        bool distinct = AcceptWord("DISTINCT");
        if (!distinct)
        {
            AcceptWord("ALL");
        }

        var items = new List<SelectItem>();
        do
        {
            var itemAt = At();
            if (AcceptSymbol("*"))
            {
                items.Add(new SelectItem(itemAt, null, null, true, null));
                continue;
            }

            if ((Current.Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier) && tokens[pos + 1].IsSymbol(".") && tokens[pos + 2].IsSymbol("*"))
            {
                string qualifier = Next().Text;
                pos += 2;
                items.Add(new SelectItem(itemAt, null, null, true, qualifier));
                continue;
            }

            var expr = ParseExpr();
            string? alias = null;
            if (AcceptWord("AS"))
            {
                alias = Current.IsWord("ROWTIME") ? Next().Text : ParseName();
            }
            else if (Current.Kind == TokenKind.QuotedIdentifier || (Current.Kind == TokenKind.Identifier && !Reserved.Contains(Current.Text)))
            {
                alias = ParseName();
            }

            items.Add(new SelectItem(itemAt, expr, alias, false, null));
        }
        while (AcceptSymbol(","));

        ExpectWord("FROM");
        var from = ParseFrom();
        Expr? where = AcceptWord("WHERE") ? ParseExpr() : null;
        var groupBy = new List<Expr>();
        WindowSpec? stagger = null;
        if (AcceptWord("GROUP"))
        {
            ExpectWord("BY");
            do
            {
                groupBy.Add(ParseExpr());
            }
            while (AcceptSymbol(","));
        }
        else if (Current.IsWord("WINDOWED"))
        {
            var staggerAt = At();
            pos++;
            ExpectWord("BY");
            ExpectWord("STAGGER");
            ExpectSymbol("(");
            stagger = ParseWindowBody(staggerAt);
            ExpectSymbol(")");
            if (stagger.Range is null || stagger.Rows)
            {
                throw Error("WINDOWED BY STAGGER needs RANGE INTERVAL '<n>' <unit>", tokens[pos - 1]);
            }
        }

        Expr? having = AcceptWord("HAVING") ? ParseExpr() : null;
        var windows = new Dictionary<string, WindowSpec>();
        if (AcceptWord("WINDOW"))
        {
            do
            {
                var nameToken = Current;
                string name = ParseName();
                ExpectWord("AS");
                ExpectSymbol("(");
                if (!windows.TryAdd(name, ParseWindowBody(new Position(nameToken.Line, nameToken.Column))))
                {
                    throw Error($"Window {name} is defined twice", nameToken);
                }

                ExpectSymbol(")");
            }
            while (AcceptSymbol(","));
        }

        var orderBy = new List<OrderItem>();
        if (AcceptWord("ORDER"))
        {
            ExpectWord("BY");
            do
            {
                var expr = ParseExpr();
                bool desc = AcceptWord("DESC");
                if (!desc)
                {
                    AcceptWord("ASC");
                }

                orderBy.Add(new OrderItem(expr, desc));
            }
            while (AcceptSymbol(","));
        }

        return new SelectQuery(at, stream, distinct, items, from, where, groupBy, stagger, having, windows, orderBy);
    }

    private WindowSpec ParseWindowBody(Position at)
    {
        string? baseName = null;
        if (Current.Kind == TokenKind.QuotedIdentifier || (Current.Kind == TokenKind.Identifier && !Reserved.Contains(Current.Text)))
        {
            baseName = ParseName();
        }

        var partition = new List<Expr>();
        if (AcceptWord("PARTITION"))
        {
            ExpectWord("BY");
            do
            {
                partition.Add(ParseExpr());
            }
            while (AcceptSymbol(","));
        }

        if (Current.IsWord("ORDER"))
        {
            throw Error("ORDER BY is not allowed in a window: ROWTIME order is implicit");
        }

        bool rows = false;
        Expr? range = null;
        long? count = null;
        bool unbounded = false;
        if (AcceptWord("ROWS"))
        {
            rows = true;
            if (AcceptWord("UNBOUNDED"))
            {
                unbounded = true;
                ExpectWord("PRECEDING");
            }
            else if (AcceptWord("CURRENT"))
            {
                ExpectWord("ROW");
                count = 0;
            }
            else
            {
                count = ParseSize(1, int.MaxValue, "ROWS count (write CURRENT ROW for 0)");
                if (Current.IsWord("FOLLOWING"))
                {
                    throw Error("FOLLOWING frames are not allowed in a stream window");
                }

                ExpectWord("PRECEDING");
            }
        }
        else if (AcceptWord("RANGE"))
        {
            if (AcceptWord("UNBOUNDED"))
            {
                unbounded = true;
                ExpectWord("PRECEDING");
            }
            else if (AcceptWord("CURRENT"))
            {
                ExpectWord("ROW");
                range = new LiteralExpr(at, TimeSpan.Zero, SqlTypeKind.IntervalDayToSecond);
            }
            else
            {
                range = ParseExpr();
                if (Current.IsWord("FOLLOWING"))
                {
                    throw Error("FOLLOWING frames are not allowed in a stream window");
                }

                AcceptWord("PRECEDING");
            }
        }

        if (Current.IsWord("FOLLOWING"))
        {
            throw Error("FOLLOWING frames are not allowed in a stream window");
        }

        return new WindowSpec(at, baseName, partition, rows, range, count, unbounded);
    }

    private FromItem ParseFrom()
    {
        var left = ParseFromPrimary();
        while (true)
        {
            var at = At();
            string? kind = null;
            if (AcceptWord("JOIN"))
            {
                kind = "INNER";
            }
            else if (AcceptWord("INNER"))
            {
                ExpectWord("JOIN");
                kind = "INNER";
            }
            else if (Current.IsWord("LEFT") || Current.IsWord("RIGHT") || Current.IsWord("FULL"))
            {
                kind = Next().Text;
                AcceptWord("OUTER");
                ExpectWord("JOIN");
            }
            else if (AcceptWord("CROSS"))
            {
                ExpectWord("JOIN");
                kind = "CROSS";
            }
            else if (AcceptSymbol(","))
            {
                kind = "CROSS";
            }

            if (kind is null)
            {
                return left;
            }

            var right = ParseFromPrimary();
            Expr? on = null;
            if (kind != "CROSS")
            {
                ExpectWord("ON");
                on = ParseExpr();
            }

            left = new JoinFrom(at, left, right, kind, on);
        }
    }

    private FromItem ParseFromPrimary()
    {
        var at = At();
        if (AcceptWord("TABLE"))
        {
            ExpectSymbol("(");
            string function = ParseName();
            ExpectSymbol("(");
            ExpectWord("CURSOR");
            ExpectSymbol("(");
            var cursor = ParseQuery();
            ExpectSymbol(")");
            var args = new List<Expr>();
            while (AcceptSymbol(","))
            {
                args.Add(ParseExpr());
            }

            ExpectSymbol(")");
            ExpectSymbol(")");
            return new TableFunctionFrom(at, function, cursor, args, ParseAlias());
        }

        if (Current.IsSymbol("("))
        {
            pos++;
            if (Current.IsWord("SELECT") || Current.IsSymbol("("))
            {
                var query = ParseQuery();
                ExpectSymbol(")");
                return new SubqueryFrom(at, query, ParseAlias());
            }

            var inner = ParseFrom();
            ExpectSymbol(")");
            return inner;
        }

        string name = ParseName();
        WindowSpec? over = null;
        if (Current.IsWord("OVER"))
        {
            var overAt = At();
            pos++;
            ExpectSymbol("(");
            over = ParseWindowBody(overAt);
            ExpectSymbol(")");
        }

        string? alias = ParseAlias();
        if (over is null && Current.IsWord("OVER"))
        {
            var overAt = At();
            pos++;
            ExpectSymbol("(");
            over = ParseWindowBody(overAt);
            ExpectSymbol(")");
        }

        return new NamedFrom(at, name, alias, over);
    }

    private string? ParseAlias()
    {
        if (AcceptWord("AS"))
        {
            return ParseName();
        }

        if (Current.Kind == TokenKind.QuotedIdentifier || (Current.Kind == TokenKind.Identifier && !Reserved.Contains(Current.Text)))
        {
            return ParseName();
        }

        return null;
    }

    // ---- expressions ----

    public Expr ParseExpr() => ParseOr();

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsWord("OR"))
        {
            var at = At();
            pos++;
            left = new BinaryExpr(at, "OR", left, ParseAnd());
        }

        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsWord("AND"))
        {
            var at = At();
            pos++;
            left = new BinaryExpr(at, "AND", left, ParseNot());
        }

        return left;
    }

    private Expr ParseNot()
    {
        if (Current.IsWord("NOT"))
        {
            var at = At();
            pos++;
            return new UnaryExpr(at, "NOT", ParseNot());
        }

        return ParsePredicate();
    }

    private Expr ParsePredicate()
    {
        var left = ParseAdditive();
        while (true)
        {
            var at = At();
            var token = Current;
            if (token.Kind == TokenKind.Symbol && token.Text is "=" or "<>" or "<" or ">" or "<=" or ">=")
            {
                pos++;
                left = new BinaryExpr(at, token.Text, left, ParseAdditive());
                continue;
            }

            if (token.IsWord("IS"))
            {
                pos++;
                bool not = AcceptWord("NOT");
                if (AcceptWord("NULL") || AcceptWord("UNKNOWN"))
                {
                    left = new IsNullExpr(at, left, not);
                }
                else if (AcceptWord("DISTINCT"))
                {
                    ExpectWord("FROM");
                    left = new IsDistinctExpr(at, left, ParseAdditive(), not);
                }
                else if (AcceptWord("TRUE"))
                {
                    left = new IsDistinctExpr(at, left, new LiteralExpr(at, true, SqlTypeKind.Boolean), !not);
                }
                else if (AcceptWord("FALSE"))
                {
                    left = new IsDistinctExpr(at, left, new LiteralExpr(at, false, SqlTypeKind.Boolean), !not);
                }
                else
                {
                    throw Error($"Expected NULL, DISTINCT FROM, TRUE or FALSE after IS but found {Current}");
                }

                continue;
            }

            bool negated = false;
            if (token.IsWord("NOT") && (PeekWord(1, "BETWEEN") || PeekWord(1, "IN") || PeekWord(1, "LIKE") || PeekWord(1, "SIMILAR")))
            {
                pos++;
                negated = true;
            }

            if (AcceptWord("BETWEEN"))
            {
                AcceptWord("SYMMETRIC");
                AcceptWord("ASYMMETRIC");
                var low = ParseAdditive();
                ExpectWord("AND");
                left = new BetweenExpr(at, left, low, ParseAdditive(), negated);
            }
            else if (AcceptWord("IN"))
            {
                ExpectSymbol("(");
                var values = new List<Expr>();
                do
                {
                    values.Add(ParseExpr());
                }
                while (AcceptSymbol(","));
                ExpectSymbol(")");
                left = new InExpr(at, left, values, negated);
            }
            else if (AcceptWord("LIKE"))
            {
                var pattern = ParseAdditive();
                var escape = AcceptWord("ESCAPE") ? ParseAdditive() : null;
                left = new LikeExpr(at, left, pattern, escape, negated, false);
            }
            else if (AcceptWord("SIMILAR"))
            {
                ExpectWord("TO");
                var pattern = ParseAdditive();
                var escape = AcceptWord("ESCAPE") ? ParseAdditive() : null;
                left = new LikeExpr(at, left, pattern, escape, negated, true);
            }
            else
            {
                return left;
            }
        }
    }

    private Expr ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (Current.Kind == TokenKind.Symbol && Current.Text is "+" or "-" or "||")
        {
            var at = At();
            string op = Next().Text;
            left = new BinaryExpr(at, op, left, ParseMultiplicative());
        }

        return left;
    }

    private Expr ParseMultiplicative()
    {
        var left = ParseUnary();
        while (Current.Kind == TokenKind.Symbol && Current.Text is "*" or "/")
        {
            var at = At();
            string op = Next().Text;
            left = new BinaryExpr(at, op, left, ParseUnary());
        }

        return left;
    }

    private Expr ParseUnary()
    {
        if (Current.IsSymbol("-") || Current.IsSymbol("+"))
        {
            var at = At();
            string op = Next().Text;
            var operand = ParseUnary();
            if (op == "+")
            {
                return operand;
            }

            return operand is LiteralExpr { Value: long l } ? new LiteralExpr(at, -l, SqlTypeKind.BigInt)
                : operand is LiteralExpr { Value: decimal d } ? new LiteralExpr(at, -d, SqlTypeKind.Decimal)
                : operand is LiteralExpr { Value: double f } ? new LiteralExpr(at, -f, SqlTypeKind.Double)
                : new UnaryExpr(at, "-", operand);
        }

        return ParsePrimary();
    }

    private Expr ParsePrimary()
    {
        var at = At();
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Number:
                pos++;
                return NumberLiteral(token, at);
            case TokenKind.String:
                pos++;
                return new LiteralExpr(at, token.Text, SqlTypeKind.Varchar);
            case TokenKind.Symbol when token.Text == "(":
            {
                pos++;
                var inner = ParseExpr();
                ExpectSymbol(")");
                // (ts1 - ts2) MINUTE: an interval difference.
                if (Current.Kind == TokenKind.Identifier && TimeUnits.Contains(Current.Text) && !PeekWord(1, "FROM"))
                {
                    string unit = Next().Text;
                    if (AcceptWord("TO"))
                    {
                        unit = ParseUnit();
                    }

                    return new IntervalOfExpr(at, inner, unit);
                }

                return ParseFields(inner);
            }

            case TokenKind.QuotedIdentifier:
                return ParseNameExpr();
            case TokenKind.Identifier:
                break;
            default:
                throw Error($"Unexpected {token}");
        }

        switch (token.Text)
        {
            case "NULL":
                pos++;
                return new LiteralExpr(at, null, null);
            case "TRUE" or "FALSE":
                pos++;
                return new LiteralExpr(at, token.Text == "TRUE", SqlTypeKind.Boolean);
            case "UNKNOWN":
                pos++;
                return new LiteralExpr(at, null, SqlTypeKind.Boolean);
            case "TIMESTAMP" or "DATE" or "TIME" when tokens[pos + 1].Kind == TokenKind.String:
            {
                pos++;
                var literal = Next();
                return DateTimeLiteral(token.Text, literal, at);
            }

            case "INTERVAL":
                pos++;
                return ParseIntervalLiteral(at);
            case "CASE":
                pos++;
                return ParseCase(at);
            case "CAST":
            {
                pos++;
                ExpectSymbol("(");
                var operand = ParseExpr();
                ExpectWord("AS");
                var type = ParseType();
                ExpectSymbol(")");
                return new CastExpr(at, operand, type);
            }

            case "EXTRACT":
            {
                pos++;
                ExpectSymbol("(");
                string unit = ParseUnit();
                ExpectWord("FROM");
                var operand = ParseExpr();
                ExpectSymbol(")");
                return new ExtractExpr(at, unit, operand);
            }

            case "STEP" when tokens[pos + 1].IsSymbol("("):
            {
                pos += 2;
                var operand = ParseExpr();
                ExpectWord("BY");
                var by = ParseExpr();
                ExpectSymbol(")");
                return new StepExpr(at, operand, by);
            }

            case "FLOOR" or "CEIL" or "CEILING" when tokens[pos + 1].IsSymbol("("):
            {
                pos += 2;
                var operand = ParseExpr();
                if (AcceptWord("TO"))
                {
                    string unit = ParseUnit();
                    ExpectSymbol(")");
                    return new FloorToExpr(at, operand, unit, token.Text != "FLOOR");
                }

                ExpectSymbol(")");
                return new CallExpr(at, token.Text == "CEILING" ? "CEIL" : token.Text, [operand]);
            }

            case "TRIM" when tokens[pos + 1].IsSymbol("("):
            {
                pos += 2;
                string mode = "BOTH";
                if (Current.IsWord("BOTH") || Current.IsWord("LEADING") || Current.IsWord("TRAILING"))
                {
                    mode = Next().Text;
                }

                Expr? chars = null;
                Expr operand;
                if (AcceptWord("FROM"))
                {
                    operand = ParseExpr();
                }
                else
                {
                    var first = ParseExpr();
                    if (AcceptWord("FROM"))
                    {
                        chars = first;
                        operand = ParseExpr();
                    }
                    else
                    {
                        operand = first;
                    }
                }

                ExpectSymbol(")");
                return new CallExpr(at, "TRIM", [new LiteralExpr(at, mode, SqlTypeKind.Varchar), chars ?? new LiteralExpr(at, " ", SqlTypeKind.Varchar), operand]);
            }

            case "SUBSTRING" when tokens[pos + 1].IsSymbol("("):
            {
                pos += 2;
                var operand = ParseExpr();
                var args = new List<Expr> { operand };
                if (AcceptWord("FROM"))
                {
                    args.Add(ParseExpr());
                    if (AcceptWord("FOR"))
                    {
                        args.Add(ParseExpr());
                    }
                }
                else
                {
                    while (AcceptSymbol(","))
                    {
                        args.Add(ParseExpr());
                    }
                }

                ExpectSymbol(")");
                return new CallExpr(at, "SUBSTRING", args);
            }

            case "POSITION" when tokens[pos + 1].IsSymbol("("):
            {
                pos += 2;
                var needle = ParseAdditive();
                ExpectWord("IN");
                var haystack = ParseExpr();
                ExpectSymbol(")");
                return new CallExpr(at, "POSITION", [needle, haystack]);
            }

            case "OVERLAY" when tokens[pos + 1].IsSymbol("("):
            {
                pos += 2;
                var operand = ParseExpr();
                ExpectWord("PLACING");
                var replacement = ParseExpr();
                ExpectWord("FROM");
                var args = new List<Expr> { operand, replacement, ParseExpr() };
                if (AcceptWord("FOR"))
                {
                    args.Add(ParseExpr());
                }

                ExpectSymbol(")");
                return new CallExpr(at, "OVERLAY", args);
            }
        }

        if (tokens[pos + 1].IsSymbol("("))
        {
            return ParseFields(ParseCall());
        }

        return ParseNameExpr();
    }

    // (expr).COLUMN1, FAST_REGEX_LOG_PARSE(…).COLUMN1: field access on a ROW value.
    private Expr ParseFields(Expr operand)
    {
        while (Current.IsSymbol(".") && tokens[pos + 1].Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier)
        {
            var at = At();
            pos++;
            operand = new FieldExpr(at, operand, NameToken());
        }

        return operand;
    }

    private Expr ParseNameExpr()
    {
        var at = At();
        var parts = new List<string> { NameToken() };
        while (Current.IsSymbol(".") && tokens[pos + 1].Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier)
        {
            pos++;
            parts.Add(NameToken());
        }

        return new NameExpr(at, parts);
    }

    private string NameToken()
    {
        var token = Current;
        if (token.Kind is TokenKind.Identifier or TokenKind.QuotedIdentifier)
        {
            pos++;
            return token.Text;
        }

        throw Error($"Expected a name but found {token}");
    }

    private Expr ParseCall()
    {
        var at = At();
        string name = Next().Text;
        ExpectSymbol("(");
        var args = new List<Expr>();
        bool star = false, distinct = false;
        if (AcceptSymbol("*"))
        {
            star = true;
        }
        else if (!Current.IsSymbol(")"))
        {
            distinct = AcceptWord("DISTINCT");
            if (!distinct)
            {
                AcceptWord("ALL");
            }

            do
            {
                args.Add(ParseExpr());
            }
            while (AcceptSymbol(","));
        }

        ExpectSymbol(")");
        WindowSpec? over = null;
        if (Current.IsWord("OVER"))
        {
            var overAt = At();
            pos++;
            if (AcceptSymbol("("))
            {
                over = ParseWindowBody(overAt);
                ExpectSymbol(")");
            }
            else
            {
                over = new WindowSpec(overAt, ParseName(), [], false, null, null, false);
            }
        }

        return new CallExpr(at, name, args, star, distinct, over);
    }

    private Expr ParseCase(Position at)
    {
        Expr? operand = Current.IsWord("WHEN") ? null : ParseExpr();
        var whens = new List<(Expr, Expr)>();
        while (AcceptWord("WHEN"))
        {
            var when = ParseExpr();
            ExpectWord("THEN");
            whens.Add((when, ParseExpr()));
        }

        if (whens.Count == 0)
        {
            throw Error("CASE needs at least one WHEN");
        }

        Expr? otherwise = AcceptWord("ELSE") ? ParseExpr() : null;
        ExpectWord("END");
        return new CaseExpr(at, operand, whens, otherwise);
    }

    private Expr ParseIntervalLiteral(Position at)
    {
        var token = Current;
        bool negative = false;
        if (AcceptSymbol("-"))
        {
            negative = true;
            token = Current;
        }

        if (token.Kind != TokenKind.String && token.Kind != TokenKind.Number)
        {
            throw Error($"Expected a quoted interval value, e.g. INTERVAL '10' MINUTE, but found {token}");
        }

        pos++;
        string from = ParseUnit();
        string to = from;
        if (AcceptWord("TO"))
        {
            to = ParseUnit();
        }
        else if (AcceptSymbol("("))
        {
            ParseSize(1, 10, "interval precision");
            ExpectSymbol(")");
        }

        string text = token.Text.Trim();
        if (text.StartsWith('-'))
        {
            negative = !negative;
            text = text[1..];
        }

        try
        {
            if (from is "YEAR" or "MONTH")
            {
                int months = from == "YEAR" && to == "MONTH"
                    ? (int.Parse(text.Split('-')[0], CultureInfo.InvariantCulture) * 12) + int.Parse(text.Split('-')[1], CultureInfo.InvariantCulture)
                    : int.Parse(text, CultureInfo.InvariantCulture) * (from == "YEAR" ? 12 : 1);
                return new LiteralExpr(at, negative ? -months : months, SqlTypeKind.IntervalYearToMonth);
            }

            var value = ParseDayTimeInterval(text, from, to);
            return new LiteralExpr(at, negative ? -value : value, SqlTypeKind.IntervalDayToSecond);
        }
        catch (Exception e) when (e is FormatException or OverflowException or IndexOutOfRangeException)
        {
            throw Error($"Invalid interval literal '{token.Text}' {from}{(to != from ? " TO " + to : "")}", token);
        }
    }

    private static TimeSpan ParseDayTimeInterval(string text, string from, string to)
    {
        string[] units = ["DAY", "HOUR", "MINUTE", "SECOND"];
        int start = Array.IndexOf(units, from), end = Array.IndexOf(units, to);
        if (start < 0 || end < start)
        {
            throw new FormatException();
        }

        // 'd h:m:s.fff' split on space and colon, assigned from the leading unit onwards.
        var fields = text.Split([' ', ':'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != end - start + 1)
        {
            throw new FormatException();
        }

        var total = TimeSpan.Zero;
        for (int i = 0; i < fields.Length; i++)
        {
            double value = double.Parse(fields[i], NumberStyles.Float, CultureInfo.InvariantCulture);
            total += units[start + i] switch
            {
                "DAY" => TimeSpan.FromDays(value),
                "HOUR" => TimeSpan.FromHours(value),
                "MINUTE" => TimeSpan.FromMinutes(value),
                _ => TimeSpan.FromMilliseconds(Math.Round(value * 1000)),
            };
        }

        return total;
    }

    private LiteralExpr DateTimeLiteral(string kind, Token literal, Position at)
    {
        string[] formats = kind switch
        {
            "DATE" => ["yyyy-MM-dd"],
            "TIME" => ["HH:mm:ss", "HH:mm:ss.FFF", "HH:mm"],
            _ => ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFF", "yyyy-MM-dd HH:mm", "yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ss.FFF", "yyyy-MM-dd'T'HH:mm:ss"],
        };
        if (!DateTime.TryParseExact(literal.Text.Trim(), formats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var value))
        {
            throw Error($"Invalid {kind} literal '{literal.Text}'", literal);
        }

        return kind == "TIME"
            ? new LiteralExpr(at, value.TimeOfDay, SqlTypeKind.Time)
            : new LiteralExpr(at, DateTime.SpecifyKind(value, DateTimeKind.Utc), kind == "DATE" ? SqlTypeKind.Date : SqlTypeKind.Timestamp);
    }

    private LiteralExpr NumberLiteral(Token token, Position at)
    {
        string text = token.Text;
        if (text.Contains('e') || text.Contains('E'))
        {
            return new LiteralExpr(at, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture), SqlTypeKind.Double);
        }

        if (text.Contains('.'))
        {
            if (!decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d))
            {
                throw Error($"Invalid number {text}", token);
            }

            return new LiteralExpr(at, d, SqlTypeKind.Decimal);
        }

        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long l))
        {
            return new LiteralExpr(at, l, l is >= int.MinValue and <= int.MaxValue ? SqlTypeKind.Integer : SqlTypeKind.BigInt);
        }

        if (decimal.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var big))
        {
            return new LiteralExpr(at, big, SqlTypeKind.Decimal);
        }

        throw Error($"Invalid number {text}", token);
    }
}
