using System.Linq.Expressions;
using Sluice.Analytics.Sql.Planning;

namespace Sluice.Analytics.Sql.Execution;

/// <summary>The runtime clock read by CURRENT_ROW_TIMESTAMP and friends: wall-clock progress from AdvanceClock and row times.</summary>
internal sealed class RuntimeClock
{
    public DateTime Now;
    public DateTime Started;
}

/// <summary>Compiles bound expressions to delegates over <see cref="Row"/> (System.Linq.Expressions), so rows never walk a tree.</summary>
internal sealed class ExpressionCompiler(RuntimeClock clock)
{
    private static readonly ParameterExpression RowParameter = Expression.Parameter(typeof(Row), "row");
    private static readonly Expression Values = Expression.Field(RowParameter, nameof(Row.Values));

    public static Type ClrOf(SqlType type) => type.Kind switch
    {
        SqlTypeKind.Boolean => typeof(bool?),
        SqlTypeKind.TinyInt or SqlTypeKind.SmallInt or SqlTypeKind.Integer or SqlTypeKind.BigInt => typeof(long?),
        SqlTypeKind.Real or SqlTypeKind.Double => typeof(double?),
        SqlTypeKind.Decimal => typeof(decimal?),
        SqlTypeKind.Char or SqlTypeKind.Varchar => typeof(string),
        SqlTypeKind.Binary or SqlTypeKind.Varbinary => typeof(byte[]),
        SqlTypeKind.Date or SqlTypeKind.Timestamp => typeof(DateTime?),
        SqlTypeKind.Time or SqlTypeKind.IntervalDayToSecond => typeof(TimeSpan?),
        SqlTypeKind.IntervalYearToMonth => typeof(int?),
        _ => typeof(object),
    };

    public Func<Row, object?> CompileObject(BoundExpr expr)
    {
        if (expr is BoundColumn column)
        {
            int index = column.Index;
            return row => row.Values[index];
        }

        var body = Expression.Convert(Build(expr), typeof(object));
        return Expression.Lambda<Func<Row, object?>>(body, RowParameter).Compile();
    }

    /// <summary>A WHERE/HAVING/ON predicate: only TRUE passes (NULL and FALSE do not).</summary>
    public Func<Row, bool> CompilePredicate(BoundExpr expr)
    {
        var body = Expression.Equal(Coerce(Build(expr), typeof(bool?)), Expression.Constant(true, typeof(bool?)));
        return Expression.Lambda<Func<Row, bool>>(body, RowParameter).Compile();
    }

    public Func<Row, T> Compile<T>(BoundExpr expr) =>
        Expression.Lambda<Func<Row, T>>(Coerce(Build(expr), typeof(T)), RowParameter).Compile();

    private Expression Build(BoundExpr expr)
    {
        switch (expr)
        {
            case BoundColumn column:
            {
                var value = Expression.ArrayIndex(Values, Expression.Constant(column.Index));
                var clr = ClrOf(column.Type);
                return clr.IsValueType ? Expression.Convert(value, clr) : Expression.TypeAs(value, clr);
            }

            case BoundMeta meta:
                return meta.Field switch
                {
                    "ROWTIME" => Expression.Convert(Expression.Field(RowParameter, nameof(Row.Time)), typeof(DateTime?)),
                    "APPROXIMATE_ARRIVAL_TIME" => Expression.Convert(Expression.Field(RowParameter, nameof(Row.Arrival)), typeof(DateTime?)),
                    "PARTITION_KEY" => Expression.Field(RowParameter, nameof(Row.PartitionKey)),
                    "SEQUENCE_NUMBER" => Expression.Field(RowParameter, nameof(Row.SequenceNumber)),
                    _ => Expression.Field(RowParameter, nameof(Row.ShardId)),
                };
            case BoundLiteral literal:
                return Expression.Constant(literal.Value, literal.Value is null or string or byte[] ? ClrOf(literal.Type) : ClrOf(literal.Type) == typeof(object) ? literal.Value.GetType() : ClrOf(literal.Type));
            case BoundClock c:
            {
                var field = Expression.Field(Expression.Constant(clock), c.Name is "CURRENT_ROW_TIMESTAMP" ? nameof(RuntimeClock.Now) : nameof(RuntimeClock.Started));
                return c.Name switch
                {
                    "CURRENT_DATE" => Expression.Convert(Expression.Property(field, nameof(DateTime.Date)), typeof(DateTime?)),
                    "CURRENT_TIME" or "LOCALTIME" => Expression.Convert(Expression.Property(field, nameof(DateTime.TimeOfDay)), typeof(TimeSpan?)),
                    _ => Expression.Convert(field, typeof(DateTime?)),
                };
            }

            case BoundCall call:
            {
                var parameters = call.Method.GetParameters();
                var args = new Expression[parameters.Length];
                for (int i = 0; i < parameters.Length; i++)
                {
                    var parameterType = parameters[i].ParameterType;
                    args[i] = call.Args[i] is BoundLiteral { Value: { } v } && parameterType.IsInstanceOfType(v) && !parameterType.IsGenericType
                        ? Expression.Constant(v, parameterType)
                        : Coerce(Build(call.Args[i]), parameterType);
                }

                return Coerce(Expression.Call(call.Method, args), ClrOf(call.Type));
            }

            case BoundLogic logic:
                return BuildLogic(logic);
            case BoundAggregate aggregate:
                throw new InvalidOperationException($"Aggregate {aggregate.Key} was not planned");
            default:
                throw new InvalidOperationException($"Cannot compile {expr.GetType().Name}");
        }
    }

    private Expression BuildLogic(BoundExpr expr)
    {
        var logic = (BoundLogic)expr;
        var clr = ClrOf(logic.Type);
        switch (logic.Op)
        {
            case "AND" or "OR":
            {
                var method = typeof(ScalarOps).GetMethod(logic.Op == "AND" ? nameof(ScalarOps.And) : nameof(ScalarOps.Or))!;
                return Expression.Call(method, Coerce(Build(logic.Args[0]), typeof(bool?)), Coerce(Build(logic.Args[1]), typeof(bool?)));
            }

            case "CONVERT":
                return Coerce(Build(logic.Args[0]), clr);
            case "NOT":
                return Expression.Call(typeof(ScalarOps).GetMethod(nameof(ScalarOps.Not))!, Coerce(Build(logic.Args[0]), typeof(bool?)));
            case "IS_NULL":
            {
                var operand = Build(logic.Args[0]);
                var test = operand.Type.IsValueType && Nullable.GetUnderlyingType(operand.Type) is null
                    ? (Expression)Expression.Constant(false)
                    : Expression.Equal(operand, Expression.Constant(null, operand.Type));
                return Expression.Convert(test, typeof(bool?));
            }

            case "IS_DISTINCT":
                return Expression.Convert(
                    Expression.Call(typeof(ScalarOps).GetMethod(nameof(ScalarOps.IsDistinct))!, Coerce(Build(logic.Args[0]), typeof(object)), Coerce(Build(logic.Args[1]), typeof(object))),
                    typeof(bool?));
            case "COALESCE":
            {
                Expression result = Coerce(Build(logic.Args[^1]), clr);
                for (int i = logic.Args.Count - 2; i >= 0; i--)
                {
                    result = Expression.Coalesce(Coerce(Build(logic.Args[i]), clr), result);
                }

                return result;
            }

            case "CASE":
            {
                // Args: when1, then1, ..., else.
                Expression result = Coerce(Build(logic.Args[^1]), clr);
                for (int i = logic.Args.Count - 3; i >= 0; i -= 2)
                {
                    var test = Expression.Equal(Coerce(Build(logic.Args[i]), typeof(bool?)), Expression.Constant(true, typeof(bool?)));
                    result = Expression.Condition(test, Coerce(Build(logic.Args[i + 1]), clr), result);
                }

                return result;
            }

            default:
                throw new InvalidOperationException($"Unknown logic operator {logic.Op}");
        }
    }

    private static Expression Coerce(Expression expr, Type target)
    {
        if (expr.Type == target)
        {
            return expr;
        }

        if (expr is ConstantExpression { Value: null })
        {
            return Expression.Constant(null, target);
        }

        if (target == typeof(object) || (!target.IsValueType && !expr.Type.IsValueType))
        {
            return Expression.Convert(expr, target);
        }

        return Expression.Convert(expr, target);
    }
}
