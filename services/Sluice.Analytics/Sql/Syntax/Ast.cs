namespace Sluice.Analytics.Sql.Syntax;

/// <summary>A syntax node's 1-based source position.</summary>
internal readonly record struct Position(int Line, int Column);

/// <summary>A scalar or aggregate expression as written.</summary>
internal abstract record Expr(Position At);

/// <summary>A possibly qualified name: <c>COL</c>, <c>s.COL</c>, <c>s.ROWTIME</c>.</summary>
internal sealed record NameExpr(Position At, IReadOnlyList<string> Parts) : Expr(At)
{
    public string Name => Parts[^1];

    public string? Qualifier => Parts.Count > 1 ? Parts[^2] : null;
}

/// <summary>A literal; <see cref="Value"/> uses the boundary's CLR types (long, decimal, double, string, bool, DateTime, TimeSpan, int months).</summary>
internal sealed record LiteralExpr(Position At, object? Value, SqlTypeKind? Kind) : Expr(At);

internal sealed record UnaryExpr(Position At, string Op, Expr Operand) : Expr(At);

internal sealed record BinaryExpr(Position At, string Op, Expr Left, Expr Right) : Expr(At);

/// <summary>A function or aggregate call, optionally windowed with OVER.</summary>
internal sealed record CallExpr(Position At, string Name, IReadOnlyList<Expr> Args, bool Star = false, bool Distinct = false, WindowSpec? Over = null) : Expr(At);

internal sealed record CaseExpr(Position At, Expr? Operand, IReadOnlyList<(Expr When, Expr Then)> Whens, Expr? Else) : Expr(At);

internal sealed record CastExpr(Position At, Expr Operand, SqlType Type) : Expr(At);

internal sealed record BetweenExpr(Position At, Expr Operand, Expr Low, Expr High, bool Not) : Expr(At);

internal sealed record InExpr(Position At, Expr Operand, IReadOnlyList<Expr> Values, bool Not) : Expr(At);

/// <summary>LIKE or SIMILAR TO.</summary>
internal sealed record LikeExpr(Position At, Expr Operand, Expr Pattern, Expr? Escape, bool Not, bool Similar) : Expr(At);

internal sealed record IsNullExpr(Position At, Expr Operand, bool Not) : Expr(At);

internal sealed record IsDistinctExpr(Position At, Expr Left, Expr Right, bool Not) : Expr(At);

/// <summary>EXTRACT(unit FROM e).</summary>
internal sealed record ExtractExpr(Position At, string Unit, Expr Operand) : Expr(At);

/// <summary>FLOOR(ts TO unit) / CEIL(ts TO unit).</summary>
internal sealed record FloorToExpr(Position At, Expr Operand, string Unit, bool Ceil) : Expr(At);

/// <summary>STEP(e BY interval-or-number).</summary>
internal sealed record StepExpr(Position At, Expr Operand, Expr By) : Expr(At);

/// <summary><c>(ts1 - ts2) unit</c>: the difference of two timestamps as an interval.</summary>
internal sealed record IntervalOfExpr(Position At, Expr Operand, string Unit) : Expr(At);

/// <summary><c>(expr).FIELD</c>: a field of a ROW value (the log-parsing functions return rows).</summary>
internal sealed record FieldExpr(Position At, Expr Operand, string Field) : Expr(At);

/// <summary>A window frame: PARTITION BY keys and RANGE interval / ROWS count (null = UNBOUNDED; zero = CURRENT ROW).</summary>
internal sealed record WindowSpec(Position At, string? BaseName, IReadOnlyList<Expr> PartitionBy, bool Rows, Expr? Range, long? RowCount, bool Unbounded);

/// <summary>A select-list item; <see cref="Star"/> is <c>*</c> or <c>q.*</c>.</summary>
internal sealed record SelectItem(Position At, Expr? Expr, string? Alias, bool Star, string? StarQualifier);

internal sealed record OrderItem(Expr Expr, bool Descending);

/// <summary>A query: SELECT or UNION ALL.</summary>
internal abstract record Query(Position At);

internal sealed record SelectQuery(
    Position At,
    bool Stream,
    bool Distinct,
    IReadOnlyList<SelectItem> Items,
    FromItem From,
    Expr? Where,
    IReadOnlyList<Expr> GroupBy,
    WindowSpec? Stagger,
    Expr? Having,
    IReadOnlyDictionary<string, WindowSpec> Windows,
    IReadOnlyList<OrderItem> OrderBy) : Query(At);

internal sealed record UnionQuery(Position At, Query Left, Query Right) : Query(At);

/// <summary>A FROM-clause item.</summary>
internal abstract record FromItem(Position At, string? Alias);

/// <summary>A stream or table by name, optionally with a join window (<c>trades OVER (RANGE ...)</c>).</summary>
internal sealed record NamedFrom(Position At, string Name, string? Alias, WindowSpec? Over) : FromItem(At, Alias);

internal sealed record SubqueryFrom(Position At, Query Query, string? Alias) : FromItem(At, Alias);

internal sealed record JoinFrom(Position At, FromItem Left, FromItem Right, string Kind, Expr? On) : FromItem(At, null);

/// <summary><c>TABLE(fn(CURSOR(query), args...))</c>.</summary>
internal sealed record TableFunctionFrom(Position At, string Function, Query Cursor, IReadOnlyList<Expr> Args, string? Alias) : FromItem(At, Alias);

/// <summary>A top-level statement.</summary>
internal abstract record Statement(Position At);

internal sealed record ColumnDef(Position At, string Name, SqlType Type, bool NotNull);

internal sealed record CreateStreamStatement(Position At, string Name, IReadOnlyList<ColumnDef> Columns, bool OrReplace) : Statement(At);

internal sealed record CreatePumpStatement(Position At, string Name, string Target, IReadOnlyList<(string Name, Position At)>? Columns, Query Query, bool OrReplace) : Statement(At);

/// <summary>CREATE FUNCTION: parsed so it can be rejected by name (user-defined functions are not supported).</summary>
internal sealed record CreateFunctionStatement(Position At, string Name, IReadOnlyList<string> Parameters, bool OrReplace) : Statement(At);
