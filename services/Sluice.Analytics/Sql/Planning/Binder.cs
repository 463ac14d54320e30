using System.Globalization;
using System.Reflection;
using Sluice.Analytics.Sql.Execution;
using Sluice.Analytics.Sql.Functions;
using Sluice.Analytics.Sql.Functions.Scalar;
using Sluice.Analytics.Sql.Syntax;

namespace Sluice.Analytics.Sql.Planning;

/// <summary>Resolves names and types of expressions against a <see cref="Scope"/>.</summary>
internal sealed class Binder(Scope scope, IReadOnlyDictionary<string, WindowSpec>? windows, bool allowAggregates, string clause)
{
    public static readonly SqlType NullType = new(SqlTypeKind.Varchar, Length: -1);

    private static readonly HashSet<string> AggregateNames =
    [
        "COUNT", "SUM", "AVG", "MIN", "MAX", "FIRST_VALUE", "LAST_VALUE", "EXP_AVG", "VAR_POP", "VAR_SAMP", "STDDEV_POP",
        "STDDEV_SAMP", "ANY", "SOME", "EVERY", "LAG", "NTH_VALUE",
    ];

    private static readonly HashSet<string> ClockNames = ["CURRENT_ROW_TIMESTAMP", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP", "CURRENT_DATE", "CURRENT_TIME", "LOCALTIME"];

    private static readonly HashSet<string> MetaNames = ["APPROXIMATE_ARRIVAL_TIME", "PARTITION_KEY", "SEQUENCE_NUMBER", "SHARD_ID"];

    public static bool IsAggregate(string name) => AggregateNames.Contains(name);

    private static SqlCompileException Error(Position at, string message) => new($"{message} at line {at.Line}, column {at.Column}", at.Line, at.Column);

    public static bool IsNull(SqlType t) => t.Length == -1 && t.Kind == SqlTypeKind.Varchar;

    public static bool IsInteger(SqlType t) => t.Kind is SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Integer or SqlTypeKind.BigInt;

    public static bool IsNumeric(SqlType t) => IsInteger(t) || t.Kind is SqlTypeKind.Real or SqlTypeKind.Double or SqlTypeKind.Decimal;

    public static bool IsString(SqlType t) => t.Kind is SqlTypeKind.Char or SqlTypeKind.Varchar && !IsNull(t);

    public static bool IsDateTime(SqlType t) => t.Kind is SqlTypeKind.Timestamp or SqlTypeKind.Date;

    /// <summary>Whether a value of <paramref name="from"/> may be inserted into a column of <paramref name="to"/>.</summary>
    public static bool Assignable(SqlType from, SqlType to) =>
        IsNull(from) || from.Kind == to.Kind || (IsNumeric(from) && IsNumeric(to)) || (IsString(from) && (to.Kind is SqlTypeKind.Char or SqlTypeKind.Varchar))
        || (IsDateTime(from) && IsDateTime(to)) || (from.Kind is SqlTypeKind.Binary or SqlTypeKind.Varbinary && to.Kind is SqlTypeKind.Binary or SqlTypeKind.Varbinary)
        || (from.Kind is SqlTypeKind.Time or SqlTypeKind.IntervalDayToSecond && to.Kind is SqlTypeKind.Time or SqlTypeKind.IntervalDayToSecond);

    /// <summary>The common numeric type: integers &lt; DECIMAL &lt; DOUBLE.</summary>
    public static SqlType? Unify(SqlType a, SqlType b)
    {
        if (IsNull(a))
        {
            return b;
        }

        if (IsNull(b) || a == b)
        {
            return a;
        }

        if (IsNumeric(a) && IsNumeric(b))
        {
            if (a.Kind is SqlTypeKind.Real or SqlTypeKind.Double || b.Kind is SqlTypeKind.Real or SqlTypeKind.Double)
            {
                return new SqlType(SqlTypeKind.Double);
            }

            if (a.Kind == SqlTypeKind.Decimal || b.Kind == SqlTypeKind.Decimal)
            {
                return new SqlType(SqlTypeKind.Decimal, Precision: 19, Scale: Math.Max(a.Scale, b.Scale));
            }

            return new SqlType(a.Kind == SqlTypeKind.BigInt || b.Kind == SqlTypeKind.BigInt ? SqlTypeKind.BigInt : SqlTypeKind.Integer);
        }

        if (IsString(a) && IsString(b))
        {
            return new SqlType(SqlTypeKind.Varchar, Length: Math.Max(a.Length, b.Length));
        }

        if (IsDateTime(a) && IsDateTime(b))
        {
            return new SqlType(SqlTypeKind.Timestamp);
        }

        // Two ROW values have one type only when they come from the same call site (their fields may differ otherwise).
        return a.Kind == b.Kind && a.Kind != SqlTypeKind.Row ? a : null;
    }

    public BoundExpr Bind(Expr expr)
    {
        switch (expr)
        {
            case NameExpr name:
                return BindNameOrField(name);
            case FieldExpr field:
                return Field(Bind(field.Operand), field.Field, field.At);
            case LiteralExpr literal:
                return literal.Kind is null ? new BoundLiteral(null, NullType) : new BoundLiteral(literal.Value, LiteralType(literal));
            case UnaryExpr { Op: "NOT" } not:
                return new BoundLogic("NOT", [Boolean(not.Operand)], new SqlType(SqlTypeKind.Boolean));
            case UnaryExpr negate:
            {
                var operand = Bind(negate.Operand);
                return Call(negate.At, "-", nameof(ScalarOps.Negate), [operand], operand.Type);
            }

            case BinaryExpr binary:
                return BindBinary(binary);
            case CaseExpr c:
                return BindCase(c);
            case CastExpr cast:
            {
                var operand = Bind(cast.Operand);
                var method = typeof(ScalarOps).GetMethod(nameof(ScalarOps.Cast))!;
                return new BoundCall("CAST", method, [operand, new BoundLiteral(cast.Type, cast.Type)], cast.Type);
            }

            case BetweenExpr between:
            {
                var operand = Bind(between.Operand);
                var range = new BoundLogic(
                    "AND",
                    [Compare(between.At, ScalarOps.Ge, operand, Bind(between.Low)), Compare(between.At, ScalarOps.Le, operand, Bind(between.High))],
                    new SqlType(SqlTypeKind.Boolean));
                return between.Not ? Not(range) : range;
            }

            case InExpr inList:
            {
                var operand = Bind(inList.Operand);
                BoundExpr? any = null;
                foreach (var value in inList.Values)
                {
                    var test = Compare(inList.At, ScalarOps.Eq, operand, Bind(value));
                    any = any is null ? test : new BoundLogic("OR", [any, test], new SqlType(SqlTypeKind.Boolean));
                }

                return inList.Not ? Not(any!) : any!;
            }

            case LikeExpr like:
                return BindLike(like);
            case IsNullExpr isNull:
            {
                var test = new BoundLogic("IS_NULL", [Bind(isNull.Operand)], new SqlType(SqlTypeKind.Boolean));
                return isNull.Not ? Not(test) : test;
            }

            case IsDistinctExpr distinct:
            {
                var left = Bind(distinct.Left);
                var right = Bind(distinct.Right);
                var type = Unify(left.Type, right.Type) ?? throw Error(distinct.At, $"Cannot compare {left.Type.Kind} with {right.Type.Kind}");
                var test = new BoundLogic("IS_DISTINCT", [Converted(left, type), Converted(right, type)], new SqlType(SqlTypeKind.Boolean));
                return distinct.Not ? Not(test) : test;
            }

            case ExtractExpr extract:
            {
                var operand = Bind(extract.Operand);
                if (!IsDateTime(operand.Type) && operand.Type.Kind is not (SqlTypeKind.IntervalDayToSecond or SqlTypeKind.Time))
                {
                    throw Error(extract.At, $"EXTRACT needs a TIMESTAMP, DATE or interval, not {operand.Type.Kind}");
                }

                return Call(extract.At, "EXTRACT", nameof(ScalarOps.Extract), [Text(extract.Unit), operand], new SqlType(SqlTypeKind.BigInt));
            }

            case FloorToExpr floor:
            {
                var operand = Bind(floor.Operand);
                if (!IsDateTime(operand.Type))
                {
                    throw Error(floor.At, $"{(floor.Ceil ? "CEIL" : "FLOOR")}(… TO {floor.Unit}) needs a TIMESTAMP, not {operand.Type.Kind}");
                }

                return Call(floor.At, floor.Ceil ? "CEIL_TO" : "FLOOR_TO", floor.Ceil ? nameof(ScalarOps.CeilTo) : nameof(ScalarOps.FloorTo), [operand, Text(floor.Unit)], new SqlType(SqlTypeKind.Timestamp));
            }

            case StepExpr step:
            {
                var operand = Bind(step.Operand);
                var by = Bind(step.By);
                if (IsDateTime(operand.Type))
                {
                    if (by.Type.Kind != SqlTypeKind.IntervalDayToSecond)
                    {
                        throw Error(step.At, "STEP of a TIMESTAMP needs BY INTERVAL '<n>' <unit>");
                    }

                    return Call(step.At, "STEP", nameof(ScalarOps.Step), [operand, by], new SqlType(SqlTypeKind.Timestamp));
                }

                var type = IsNumeric(operand.Type) && IsNumeric(by.Type) ? Unify(operand.Type, by.Type)! : throw Error(step.At, $"STEP needs a TIMESTAMP or a number, not {operand.Type.Kind}");
                return Call(step.At, "STEP", nameof(ScalarOps.Step), [Converted(operand, type), Converted(by, type)], type);
            }

            case IntervalOfExpr interval:
            {
                var operand = Bind(interval.Operand);
                if (operand.Type.Kind != SqlTypeKind.IntervalDayToSecond)
                {
                    throw Error(interval.At, "(a - b) <unit> needs the difference of two TIMESTAMPs");
                }

                return Call(interval.At, "INTERVAL_OF", nameof(ScalarOps.IntervalOf), [operand, Text(interval.Unit)], operand.Type);
            }

            case CallExpr call:
                return BindCall(call);
            default:
                throw Error(expr.At, $"Unsupported expression {expr.GetType().Name}");
        }
    }

    private static SqlType LiteralType(LiteralExpr literal) => literal.Value switch
    {
        string s => new SqlType(SqlTypeKind.Char, Length: s.Length),
        decimal d => new SqlType(SqlTypeKind.Decimal, Precision: 19, Scale: d.Scale),
        _ => new SqlType(literal.Kind!.Value),
    };

    private static BoundLiteral Text(string text) => new(text, new SqlType(SqlTypeKind.Varchar, Length: text.Length));

    private static BoundLogic Not(BoundExpr e) => new("NOT", [e], new SqlType(SqlTypeKind.Boolean));

    private BoundExpr Boolean(Expr expr)
    {
        var bound = Bind(expr);
        if (bound.Type.Kind != SqlTypeKind.Boolean && !IsNull(bound.Type))
        {
            throw Error(expr.At, $"Expected a BOOLEAN condition but found {bound.Type.Kind}");
        }

        return bound;
    }

    // t.r.COLUMN2 and r.COLUMN2 (r a ROW column, not a stream alias) are field accesses; everything else is a column.
    private BoundExpr BindNameOrField(NameExpr name)
    {
        if (name.Parts.Count > 3)
        {
            throw Error(name.At, $"{string.Join(".", name.Parts)} has too many parts; write stream.column or stream.column.field");
        }

        if (name.Parts.Count == 3)
        {
            return Field(BindName(name with { Parts = [name.Parts[0], name.Parts[1]] }), name.Parts[2], name.At);
        }

        if (name.Parts.Count == 2 && !scope.Qualifiers.Contains(name.Parts[0]))
        {
            foreach (var c in scope.Columns)
            {
                if (c.Name == name.Parts[0] && c.Type.Kind == SqlTypeKind.Row)
                {
                    return Field(BindName(name with { Parts = [name.Parts[0]] }), name.Parts[1], name.At);
                }
            }
        }

        return BindName(name);
    }

    private static BoundCall Field(BoundExpr row, string field, Position at)
    {
        if (row.Type.Kind != SqlTypeKind.Row || row.Type.Fields is not { } fields)
        {
            throw Error(at, $"Cannot read field {field} of a {row.Type.Kind} value; only ROW values (the log-parsing functions) have fields");
        }

        for (int i = 0; i < fields.Count; i++)
        {
            if (fields[i].Name == field)
            {
                var method = typeof(RowValues).GetMethod(nameof(RowValues.Field))!;
                return new BoundCall("." + field, method, [row, new BoundLiteral(i, new SqlType(SqlTypeKind.Integer))], fields[i].Type);
            }
        }

        throw Error(at, $"The ROW value has no field {field}; its fields are {string.Join(", ", fields.Select(f => f.Name))}");
    }

    private static readonly HashSet<string> LogParseNames =
        ["FAST_REGEX_LOG_PARSE", "REGEX_LOG_PARSE", "FIXED_COLUMN_LOG_PARSE", "VARIABLE_COLUMN_LOG_PARSE", "SYS_LOG_PARSE", "W3C_LOG_PARSE"];

    // The log parsers' pattern and column arguments are constants: the parser is built once here, and its columns give the ROW type.
    private BoundExpr BindLogParse(CallExpr call)
    {
        (int min, int max) = call.Name switch
        {
            "SYS_LOG_PARSE" => (1, 1),
            "REGEX_LOG_PARSE" => (2, 3),
            "VARIABLE_COLUMN_LOG_PARSE" => (3, 5),
            _ => (2, 2),
        };
        if (call.Args.Count < min || call.Args.Count > max)
        {
            throw Error(call.At, $"{call.Name} takes {(min == max ? min.ToString(CultureInfo.InvariantCulture) : $"{min} to {max}")} arguments but was given {call.Args.Count}");
        }

        var line = Bind(call.Args[0]);
        if (!IsString(line.Type) && !IsNull(line.Type))
        {
            throw Error(call.Args[0].At, $"{call.Name} parses a character string, not {line.Type.Kind}");
        }

        var constants = new string[call.Args.Count - 1];
        for (int i = 1; i < call.Args.Count; i++)
        {
            constants[i - 1] = call.Args[i] switch
            {
                LiteralExpr { Value: string text } => text,
                LiteralExpr { Value: long n } => n.ToString(CultureInfo.InvariantCulture),
                _ => throw Error(call.Args[i].At, $"Argument {i + 1} of {call.Name} must be a literal"),
            };
        }

        LogParser parser;
        try
        {
            parser = call.Name switch
            {
                "FAST_REGEX_LOG_PARSE" => LogParser.FastRegex(constants[0]),
                "REGEX_LOG_PARSE" => LogParser.Regex(constants[0], constants.Length > 1 ? constants[1] : null),
                "FIXED_COLUMN_LOG_PARSE" => LogParser.FixedColumns(constants[0]),
                "VARIABLE_COLUMN_LOG_PARSE" => LogParser.VariableColumns(constants[0], constants[1], constants.Length > 2 ? constants[2] : null, constants.Length > 3 ? constants[3] : null),
                "SYS_LOG_PARSE" => LogParser.SysLog(),
                _ => LogParser.W3C(constants[0]),
            };
        }
        catch (Exception e) when (e is SqlFunctionException or ArgumentException)
        {
            throw Error(call.At, $"{call.Name}: {e.Message}");
        }

        var fields = new SqlColumn[parser.Columns.Count];
        var types = new SqlType[fields.Length];
        for (int i = 0; i < fields.Length; i++)
        {
            if (!SqlType.TryParse(parser.Columns[i].SqlType, out var type))
            {
                throw Error(call.At, $"{call.Name}: column {parser.Columns[i].Name} has no valid SQL type ('{parser.Columns[i].SqlType}')");
            }

            types[i] = type!;
            fields[i] = new SqlColumn(parser.Columns[i].Name, type!);
        }

        string key = $"{call.Name}({string.Join(",", constants.Select(c => "'" + c + "'"))})";
        var rowType = new SqlType(SqlTypeKind.Row) { Fields = fields };
        var method = typeof(RowValues).GetMethod(nameof(RowValues.ParseLog))!;
        return new BoundCall(call.Name, method, [new BoundLiteral(new LogRowParser(parser, types, key), rowType), line], rowType);
    }

    private BoundExpr BindName(NameExpr name)
    {
        string? qualifier = name.Parts.Count > 1 ? name.Parts[^2] : null;
        string column = name.Name;
        if (qualifier is not null && !scope.LooseQualifiers && !scope.Qualifiers.Contains(qualifier))
        {
            throw Error(name.At, $"Unknown stream or alias {qualifier}");
        }

        int found = -1;
        for (int i = 0; i < scope.Columns.Count; i++)
        {
            var c = scope.Columns[i];
            if (c.Name == column && (qualifier is null || scope.LooseQualifiers || c.Qualifier == qualifier))
            {
                if (found >= 0 && !scope.LooseQualifiers)
                {
                    throw Error(name.At, $"Column {column} is ambiguous; qualify it with a stream alias");
                }

                if (found < 0)
                {
                    found = i;
                }
            }
        }

        if (found >= 0)
        {
            return new BoundColumn(found, column, scope.Columns[found].Type);
        }

        if (column == "ROWTIME")
        {
            return new BoundMeta("ROWTIME", new SqlType(SqlTypeKind.Timestamp));
        }

        if (qualifier is null && ClockNames.Contains(column))
        {
            return new BoundClock(column, column switch
            {
                "CURRENT_DATE" => new SqlType(SqlTypeKind.Date),
                "CURRENT_TIME" or "LOCALTIME" => new SqlType(SqlTypeKind.Time),
                _ => new SqlType(SqlTypeKind.Timestamp),
            });
        }

        if (MetaNames.Contains(column) && scope.HasSourceMetadata)
        {
            return new BoundMeta(column, column == "APPROXIMATE_ARRIVAL_TIME" ? new SqlType(SqlTypeKind.Timestamp) : new SqlType(SqlTypeKind.Varchar, Length: 256));
        }

        throw Error(name.At, $"Column {(qualifier is null ? "" : qualifier + ".")}{column} not found");
    }

    private BoundExpr BindBinary(BinaryExpr binary)
    {
        switch (binary.Op)
        {
            case "AND" or "OR":
                return new BoundLogic(binary.Op, [Boolean(binary.Left), Boolean(binary.Right)], new SqlType(SqlTypeKind.Boolean));
            case "=":
                return Compare(binary.At, ScalarOps.Eq, Bind(binary.Left), Bind(binary.Right));
            case "<>":
                return Compare(binary.At, ScalarOps.Ne, Bind(binary.Left), Bind(binary.Right));
            case "<":
                return Compare(binary.At, ScalarOps.Lt, Bind(binary.Left), Bind(binary.Right));
            case "<=":
                return Compare(binary.At, ScalarOps.Le, Bind(binary.Left), Bind(binary.Right));
            case ">":
                return Compare(binary.At, ScalarOps.Gt, Bind(binary.Left), Bind(binary.Right));
            case ">=":
                return Compare(binary.At, ScalarOps.Ge, Bind(binary.Left), Bind(binary.Right));
            case "||":
            {
                var left = Bind(binary.Left);
                var right = Bind(binary.Right);
                if (!(IsString(left.Type) || IsNull(left.Type)) || !(IsString(right.Type) || IsNull(right.Type)))
                {
                    throw Error(binary.At, $"|| needs character strings, not {left.Type.Kind} and {right.Type.Kind}");
                }

                return Call(binary.At, "||", nameof(ScalarOps.Concat), [left, right], new SqlType(SqlTypeKind.Varchar, Length: Math.Max(0, left.Type.Length) + Math.Max(0, right.Type.Length)));
            }

            default:
                return BindArithmetic(binary);
        }
    }

    private BoundExpr BindArithmetic(BinaryExpr binary)
    {
        var left = Bind(binary.Left);
        var right = Bind(binary.Right);
        string method = binary.Op switch
        {
            "+" => nameof(ScalarOps.Add),
            "-" => nameof(ScalarOps.Subtract),
            "*" => nameof(ScalarOps.Multiply),
            _ => nameof(ScalarOps.Divide),
        };
        var l = left.Type;
        var r = right.Type;
        if ((IsNumeric(l) || IsNull(l)) && (IsNumeric(r) || IsNull(r)))
        {
            var type = Unify(l, r)!;
            if (IsNull(type))
            {
                type = new SqlType(SqlTypeKind.BigInt);
            }

            return Call(binary.At, binary.Op, method, [Converted(left, type), Converted(right, type)], type);
        }

        bool interval(SqlType t) => t.Kind is SqlTypeKind.IntervalDayToSecond or SqlTypeKind.IntervalYearToMonth;
        if (IsDateTime(l) && interval(r) && binary.Op is "+" or "-")
        {
            return Call(binary.At, binary.Op, method, [left, right], new SqlType(SqlTypeKind.Timestamp));
        }

        if (interval(l) && IsDateTime(r) && binary.Op == "+")
        {
            return Call(binary.At, binary.Op, method, [right, left], new SqlType(SqlTypeKind.Timestamp));
        }

        if (IsDateTime(l) && IsDateTime(r) && binary.Op == "-")
        {
            return Call(binary.At, binary.Op, method, [left, right], new SqlType(SqlTypeKind.IntervalDayToSecond));
        }

        if (l.Kind == SqlTypeKind.IntervalDayToSecond && r.Kind == SqlTypeKind.IntervalDayToSecond && binary.Op is "+" or "-")
        {
            return Call(binary.At, binary.Op, method, [left, right], l);
        }

        if (l.Kind == SqlTypeKind.IntervalDayToSecond && IsInteger(r) && binary.Op == "*")
        {
            return Call(binary.At, binary.Op, method, [left, right], l);
        }

        throw Error(binary.At, $"Operator {binary.Op} cannot be applied to {l.Kind} and {r.Kind}");
    }

    /// <summary>A value converted to a numeric type (a no-op when it already has that CLR type).</summary>
    private static BoundExpr Converted(BoundExpr e, SqlType type) =>
        IsNull(e.Type) || ExpressionCompiler.ClrOf(e.Type) == ExpressionCompiler.ClrOf(type) ? e
        : new BoundLogic("CONVERT", [e], type);

    private BoundExpr Compare(Position at, int op, BoundExpr left, BoundExpr right)
    {
        var type = Unify(left.Type, right.Type);
        if (type is null)
        {
            throw Error(at, $"Cannot compare {left.Type.Kind} with {right.Type.Kind}");
        }

        if (IsNull(type))
        {
            return new BoundLiteral(null, new SqlType(SqlTypeKind.Boolean));
        }

        var clr = ExpressionCompiler.ClrOf(type);
        var method = typeof(ScalarOps).GetMethod(nameof(ScalarOps.Compare), [clr, clr, typeof(int)])
            ?? throw Error(at, $"Values of type {type.Kind} cannot be compared");
        return new BoundCall(OpName(op), method, [Converted(left, type), Converted(right, type), new BoundLiteral(op, new SqlType(SqlTypeKind.Integer))], new SqlType(SqlTypeKind.Boolean));
    }

    private static string OpName(int op) => op switch
    {
        ScalarOps.Eq => "=",
        ScalarOps.Ne => "<>",
        ScalarOps.Lt => "<",
        ScalarOps.Le => "<=",
        ScalarOps.Gt => ">",
        _ => ">=",
    };

    private static BoundCall Call(Position at, string name, string method, BoundExpr[] args, SqlType result)
    {
        var types = new Type?[args.Length];
        for (int i = 0; i < args.Length; i++)
        {
            types[i] = args[i] is BoundLiteral { Value: string } && method is nameof(ScalarOps.Extract) or nameof(ScalarOps.FloorTo) or nameof(ScalarOps.CeilTo) or nameof(ScalarOps.IntervalOf)
                ? typeof(string)
                : IsNull(args[i].Type) ? null : ExpressionCompiler.ClrOf(args[i].Type);
        }

        var candidates = new List<MethodInfo>();
        foreach (var m in typeof(ScalarOps).GetMethods(BindingFlags.Public | BindingFlags.Static))
        {
            if (m.Name == method)
            {
                candidates.Add(m);
            }
        }

        var chosen = FunctionCatalog.Best(candidates, types) ?? throw Error(at, $"Operator {name} cannot be applied to {string.Join(", ", args.Select(a => a.Type.Kind))}");
        return new BoundCall(name, chosen, args, result);
    }

    private BoundExpr BindCase(CaseExpr c)
    {
        var args = new List<BoundExpr>();
        var operand = c.Operand is null ? null : Bind(c.Operand);
        SqlType type = NullType;
        foreach (var (when, then) in c.Whens)
        {
            args.Add(operand is null ? Boolean(when) : Compare(when.At, ScalarOps.Eq, operand, Bind(when)));
            var value = Bind(then);
            type = Unify(type, value.Type) ?? throw Error(then.At, $"CASE branches have different types: {type.Kind} and {value.Type.Kind}");
            args.Add(value);
        }

        var otherwise = c.Else is null ? new BoundLiteral(null, NullType) : Bind(c.Else);
        type = Unify(type, otherwise.Type) ?? throw Error(c.Else!.At, $"CASE branches have different types: {type.Kind} and {otherwise.Type.Kind}");
        args.Add(otherwise);
        if (IsNull(type))
        {
            type = new SqlType(SqlTypeKind.Varchar, Length: 1);
        }

        for (int i = 1; i < args.Count; i += 2)
        {
            args[i] = Converted(args[i], type);
        }

        args[^1] = Converted(args[^1], type);
        return new BoundLogic("CASE", args, type);
    }

    private BoundExpr BindLike(LikeExpr like)
    {
        var operand = Bind(like.Operand);
        var pattern = Bind(like.Pattern);
        var escape = like.Escape is null ? null : Bind(like.Escape);
        if (!IsString(operand.Type) && !IsNull(operand.Type))
        {
            throw Error(like.At, $"{(like.Similar ? "SIMILAR TO" : "LIKE")} needs a character string, not {operand.Type.Kind}");
        }

        foreach (var (part, what) in new[] { (pattern, "pattern"), (escape, "ESCAPE") })
        {
            if (part is not null && !IsString(part.Type) && !IsNull(part.Type))
            {
                throw Error(like.At, $"{(like.Similar ? "SIMILAR TO" : "LIKE")} {what} must be a character string, not {part.Type.Kind}");
            }
        }

        // A constant pattern is compiled once here (a bad one is a compile error); a per-row pattern is compiled per row.
        string name = like.Similar ? "SIMILAR" : "LIKE";
        var boolean = new SqlType(SqlTypeKind.Boolean);
        BoundCall test;
        if (pattern is BoundLiteral { Value: string p } && (escape is null || escape is BoundLiteral { Value: string }))
        {
            var e = (string?)((BoundLiteral?)escape)?.Value;
            object compiled;
            try
            {
                compiled = like.Similar ? SimilarToPattern.Compile(p, e) : LikePattern.Compile(p, e);
            }
            catch (SqlFunctionException ex)
            {
                throw Error(like.Pattern.At, ex.Message);
            }

            var match = like.Similar ? typeof(SimilarToPattern).GetMethod(nameof(SimilarToPattern.Match))! : typeof(LikePattern).GetMethod(nameof(LikePattern.Match))!;
            test = new BoundCall(name, match, [operand, new BoundLiteral(compiled, new SqlType(SqlTypeKind.Varchar, Length: -2))], boolean);
        }
        else
        {
            var perRow = like.Similar ? typeof(SimilarToPattern).GetMethod(nameof(SimilarToPattern.SimilarTo))! : typeof(LikePattern).GetMethod(nameof(LikePattern.Like))!;
            test = new BoundCall(name, perRow, [operand, pattern, escape ?? new BoundLiteral(null, NullType)], boolean);
        }

        return like.Not ? Not(test) : test;
    }

    private BoundExpr BindCall(CallExpr call)
    {
        if (IsAggregate(call.Name) && !(call.Name == "ANY" && call.Args.Count == 0))
        {
            return BindAggregate(call);
        }

        if (call.Over is not null)
        {
            throw Error(call.At, $"{call.Name} is not an aggregate and cannot take OVER");
        }

        if (LogParseNames.Contains(call.Name))
        {
            return BindLogParse(call);
        }

        switch (call.Name)
        {
            case "COALESCE":
            {
                var args = new List<BoundExpr>();
                SqlType type = NullType;
                foreach (var a in call.Args)
                {
                    var b = Bind(a);
                    type = Unify(type, b.Type) ?? throw Error(a.At, $"COALESCE arguments have different types: {type.Kind} and {b.Type.Kind}");
                    args.Add(b);
                }

                for (int i = 0; i < args.Count; i++)
                {
                    args[i] = Converted(args[i], type);
                }

                return args.Count == 1 ? args[0] : new BoundLogic("COALESCE", args, type);
            }

            case "NULLIF" when call.Args.Count == 2:
            {
                var a = Bind(call.Args[0]);
                var b = Bind(call.Args[1]);
                return new BoundLogic("CASE", [Compare(call.At, ScalarOps.Eq, a, b), new BoundLiteral(null, a.Type), a], a.Type);
            }

            case "MONOTONIC" when call.Args.Count == 1:
                return Bind(call.Args[0]);
            case "TRIM" when call.Args.Count == 3 && call.Args[0] is LiteralExpr { Value: string mode }:
            {
                // The parser's TRIM(mode, character, value) form.
                string trim = mode switch { "LEADING" => nameof(StringFunctions.TrimLeading), "TRAILING" => nameof(StringFunctions.TrimTrailing), _ => nameof(StringFunctions.TrimBoth) };
                var value = Bind(call.Args[2]);
                var character = Bind(call.Args[1]);
                if (!(IsString(value.Type) || IsNull(value.Type)) || !(IsString(character.Type) || IsNull(character.Type)))
                {
                    throw Error(call.At, "TRIM needs character strings");
                }

                return new BoundCall("TRIM_" + mode, typeof(StringFunctions).GetMethod(trim, [typeof(string), typeof(string)])!, [value, character], value.Type);
            }
        }

        var bound = new BoundExpr[call.Args.Count];
        var types = new Type?[call.Args.Count];
        for (int i = 0; i < bound.Length; i++)
        {
            bound[i] = Bind(call.Args[i]);
            types[i] = IsNull(bound[i].Type) ? null : ExpressionCompiler.ClrOf(bound[i].Type);
        }

        if (!FunctionCatalog.Exists(call.Name))
        {
            throw Error(call.At, $"Function {call.Name} not found");
        }

        var method = FunctionCatalog.Resolve(call.Name, types)
            ?? throw Error(call.At, $"Function {call.Name} cannot take ({string.Join(", ", bound.Select(b => IsNull(b.Type) ? "NULL" : b.Type.Kind.ToString()))})");
        var result = FunctionCatalog.TypeOf(method.ReturnType);
        if (call.Name is "FLOOR" or "CEIL" or "ABS" && bound.Length == 1)
        {
            result = bound[0].Type;
        }

        return new BoundCall(call.Name, method, bound, result);
    }

    private BoundExpr BindAggregate(CallExpr call)
    {
        if (!allowAggregates)
        {
            throw Error(call.At, $"Aggregate {call.Name} is not allowed in {clause}");
        }

        if (call.Distinct)
        {
            throw Error(call.At, $"{call.Name}(DISTINCT …) is not supported in streaming aggregation; use COUNT_DISTINCT_ITEMS_TUMBLING or a SELECT DISTINCT subquery");
        }

        var inner = new Binder(scope, windows, false, "an aggregate argument");
        var args = new BoundExpr[call.Args.Count];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = inner.Bind(call.Args[i]);
        }

        string name = call.Name == "SOME" ? "ANY" : call.Name;
        int expected = name switch
        {
            "COUNT" => call.Star ? 0 : 1,
            "EXP_AVG" or "NTH_VALUE" => 2,
            "LAG" => Math.Clamp(args.Length, 1, 3),
            _ => 1,
        };
        if (args.Length != expected)
        {
            throw Error(call.At, $"{name} takes {expected} argument{(expected == 1 ? "" : "s")} but was given {args.Length}");
        }

        BoundWindow? window = call.Over is null ? null : BindWindow(call.Over);
        if (name is "LAG" or "NTH_VALUE" && window is null)
        {
            throw Error(call.At, $"{name} needs an OVER window");
        }

        var argType = args.Length > 0 ? args[0].Type : NullType;
        SqlType type;
        switch (name)
        {
            case "COUNT":
                type = new SqlType(SqlTypeKind.BigInt);
                break;
            case "SUM" or "AVG":
                if (!IsNumeric(argType))
                {
                    throw Error(call.At, $"{name} needs a numeric argument, not {argType.Kind}");
                }

                type = IsInteger(argType) ? new SqlType(SqlTypeKind.BigInt) : argType;
                break;
            case "VAR_POP" or "VAR_SAMP" or "STDDEV_POP" or "STDDEV_SAMP" or "EXP_AVG":
                if (!IsNumeric(argType))
                {
                    throw Error(call.At, $"{name} needs a numeric argument, not {argType.Kind}");
                }

                type = new SqlType(SqlTypeKind.Double);
                break;
            case "ANY" or "EVERY":
                if (argType.Kind != SqlTypeKind.Boolean)
                {
                    throw Error(call.At, $"{name} needs a BOOLEAN argument, not {argType.Kind}");
                }

                type = argType;
                break;
            default:
                type = argType;
                break;
        }

        return new BoundAggregate(name, args, call.Star, window, type, call.At);
    }

    public BoundWindow BindWindow(WindowSpec spec)
    {
        var resolved = spec;
        if (spec.BaseName is not null)
        {
            if (windows is null || !windows.TryGetValue(spec.BaseName, out var named))
            {
                throw Error(spec.At, $"Window {spec.BaseName} is not defined in the WINDOW clause");
            }

            resolved = named with
            {
                PartitionBy = spec.PartitionBy.Count > 0 ? spec.PartitionBy : named.PartitionBy,
            };
        }

        var inner = new Binder(scope, windows, false, "a window");
        var partition = new BoundExpr[resolved.PartitionBy.Count];
        for (int i = 0; i < partition.Length; i++)
        {
            partition[i] = inner.Bind(resolved.PartitionBy[i]);
        }

        TimeSpan? range = null;
        if (resolved.Range is not null)
        {
            var r = inner.Bind(resolved.Range);
            range = r is BoundLiteral { Value: TimeSpan span } ? span : throw Error(resolved.Range.At, "RANGE needs an interval literal, e.g. RANGE INTERVAL '5' MINUTE PRECEDING");
        }

        long? rows = resolved.Rows && !resolved.Unbounded ? resolved.RowCount : null;
        string key = $"P[{string.Join(",", partition.Select(p => p.Key))}]{(resolved.Rows ? "ROWS " + (rows?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "UNBOUNDED") : "RANGE " + (range?.Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "UNBOUNDED"))}";
        return new BoundWindow(key, partition, resolved.Rows, range, rows);
    }
}
