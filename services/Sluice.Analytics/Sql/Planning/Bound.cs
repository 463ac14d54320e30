using System.Globalization;
using System.Reflection;
using Sluice.Analytics.Sql.Syntax;

namespace Sluice.Analytics.Sql.Planning;

/// <summary>A resolved, typed expression; <see cref="Key"/> is a canonical text so that equal expressions match (GROUP BY items).</summary>
internal abstract class BoundExpr(SqlType type)
{
    public SqlType Type { get; } = type;

    public abstract string Key { get; }

    /// <summary>Rebuilds this node with <paramref name="rewrite"/> applied to its children.</summary>
    public abstract BoundExpr Map(Func<BoundExpr, BoundExpr> rewrite);

    public override string ToString() => Key;
}

/// <summary>A column of the row the expression is evaluated on.</summary>
internal sealed class BoundColumn(int index, string name, SqlType type) : BoundExpr(type)
{
    public int Index { get; } = index;

    public string Name { get; } = name;

    public override string Key => $"${Index}";

    public override BoundExpr Map(Func<BoundExpr, BoundExpr> rewrite) => this;
}

/// <summary>ROWTIME, or a source pseudo-column (APPROXIMATE_ARRIVAL_TIME, PARTITION_KEY, SEQUENCE_NUMBER, SHARD_ID).</summary>
internal sealed class BoundMeta(string field, SqlType type) : BoundExpr(type)
{
    public string Field { get; } = field;

    public override string Key => Field;

    public override BoundExpr Map(Func<BoundExpr, BoundExpr> rewrite) => this;
}

internal sealed class BoundLiteral(object? value, SqlType type) : BoundExpr(type)
{
    public object? Value { get; } = value;

    public override string Key => Value switch
    {
        null => "NULL",
        string s => $"'{s}'",
        DateTime t => $"TS'{t:O}'",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture) + ":" + Type.Kind,
        var v => v.ToString() ?? "",
    };

    public override BoundExpr Map(Func<BoundExpr, BoundExpr> rewrite) => this;
}

/// <summary>CURRENT_ROW_TIMESTAMP and friends, read from the runtime clock.</summary>
internal sealed class BoundClock(string name, SqlType type) : BoundExpr(type)
{
    public string Name { get; } = name;

    public override string Key => Name;

    public override BoundExpr Map(Func<BoundExpr, BoundExpr> rewrite) => this;
}

/// <summary>A call of a static method (operators, built-ins, [SqlFunction] methods); arguments are converted to its parameter types.</summary>
internal sealed class BoundCall(string name, MethodInfo method, IReadOnlyList<BoundExpr> args, SqlType type) : BoundExpr(type)
{
    public string Name { get; } = name;

    public MethodInfo Method { get; } = method;

    public IReadOnlyList<BoundExpr> Args { get; } = args;

    public override string Key => $"{Name}({string.Join(",", Args.Select(a => a.Key))})";

    public override BoundExpr Map(Func<BoundExpr, BoundExpr> rewrite)
    {
        var args = new BoundExpr[Args.Count];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = rewrite(Args[i]);
        }

        return new BoundCall(Name, Method, args, Type);
    }
}

/// <summary>A three-valued AND / OR / NOT, COALESCE, or CASE (Whens pairs, then Else).</summary>
internal sealed class BoundLogic(string op, IReadOnlyList<BoundExpr> args, SqlType type) : BoundExpr(type)
{
    public string Op { get; } = op;

    public IReadOnlyList<BoundExpr> Args { get; } = args;

    public override string Key => $"{Op}({string.Join(",", Args.Select(a => a.Key))})";

    public override BoundExpr Map(Func<BoundExpr, BoundExpr> rewrite)
    {
        var args = new BoundExpr[Args.Count];
        for (int i = 0; i < args.Length; i++)
        {
            args[i] = rewrite(Args[i]);
        }

        return new BoundLogic(Op, args, Type);
    }
}

/// <summary>A bound window frame of a sliding aggregate or a join side.</summary>
internal sealed record BoundWindow(string Key, IReadOnlyList<BoundExpr> PartitionBy, bool Rows, TimeSpan? Range, long? RowCount);

/// <summary>An aggregate call (GROUP BY / stagger) or an analytic call (OVER); replaced by a column of the aggregate's output.</summary>
internal sealed class BoundAggregate(string function, IReadOnlyList<BoundExpr> args, bool star, BoundWindow? window, SqlType type, Position at) : BoundExpr(type)
{
    public string Function { get; } = function;

    public IReadOnlyList<BoundExpr> Args { get; } = args;

    public bool Star { get; } = star;

    public BoundWindow? Window { get; } = window;

    public Position At { get; } = at;

    public override string Key => $"{Function}({(Star ? "*" : string.Join(",", Args.Select(a => a.Key)))}){(Window is null ? "" : " OVER " + Window.Key)}";

    public override BoundExpr Map(Func<BoundExpr, BoundExpr> rewrite) => this;
}
