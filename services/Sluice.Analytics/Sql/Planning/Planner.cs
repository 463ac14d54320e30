using Sluice.Analytics.Sql.Execution;
using Sluice.Analytics.Sql.Syntax;

namespace Sluice.Analytics.Sql.Planning;

/// <summary>A planned query: the columns its rows carry and how to attach the operator that consumes them.</summary>
internal sealed class PlannedSource(Scope scope, Action<Operator> connect, bool isStream, WindowSpec? joinWindow = null, ReferenceTable? table = null)
{
    public Scope Scope { get; } = scope;

    public Action<Operator> Connect { get; } = connect;

    public bool IsStream { get; } = isStream;

    public WindowSpec? JoinWindow { get; } = joinWindow;

    public ReferenceTable? Table { get; } = table;
}

/// <summary>Turns statements into operators: name resolution, types, tumbling/stagger/sliding windows, joins, ORDER BY.</summary>
internal sealed class Planner(RuntimeGraph graph)
{
    private readonly Dictionary<string, SqlStreamSchema> schemas = new(StringComparer.Ordinal);
    private readonly HashSet<string> inputNames = new(StringComparer.Ordinal);
    private string pump = "";

    private static SqlCompileException Error(Position at, string message) => new($"{message} at line {at.Line}, column {at.Column}", at.Line, at.Column);

    /// <summary>Plans the whole application into <paramref name="graph"/>; returns every in-application stream's schema.</summary>
    public static List<SqlStreamSchema> Plan(RuntimeGraph graph, IReadOnlyList<Statement> statements, IReadOnlyList<SqlStreamSchema> inputs, IReadOnlyList<SqlStreamSchema> tables)
    {
        var planner = new Planner(graph);
        var streams = new List<SqlStreamSchema>();
        foreach (var input in inputs)
        {
            planner.schemas[input.Name] = input;
            planner.inputNames.Add(input.Name);
            graph.Inputs.Add(graph.AddStream(input.Name));
            streams.Add(input);
        }

        foreach (var table in tables)
        {
            graph.Tables[table.Name] = new ReferenceTable(table.Name, table.Columns.Count);
            planner.schemas[table.Name] = table;
        }

        // CREATE OR REPLACE: the last definition of a name wins.
        var created = new Dictionary<string, CreateStreamStatement>(StringComparer.Ordinal);
        var pumps = new Dictionary<string, CreatePumpStatement>(StringComparer.Ordinal);
        foreach (var statement in statements)
        {
            switch (statement)
            {
                case CreateStreamStatement stream:
                    if (planner.inputNames.Contains(stream.Name) || graph.Tables.ContainsKey(stream.Name) || stream.Name == RuntimeGraph.ErrorStream)
                    {
                        throw Error(stream.At, $"Stream {stream.Name} already exists as an input, reference table or error_stream");
                    }

                    if (created.ContainsKey(stream.Name) && !stream.OrReplace)
                    {
                        throw Error(stream.At, $"Stream {stream.Name} already exists; use CREATE OR REPLACE STREAM");
                    }

                    var names = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var column in stream.Columns)
                    {
                        if (!names.Add(column.Name))
                        {
                            throw Error(column.At, $"Column {column.Name} is declared twice in stream {stream.Name}");
                        }
                    }

                    created[stream.Name] = stream;
                    break;
                case CreatePumpStatement p:
                    if (pumps.ContainsKey(p.Name) && !p.OrReplace)
                    {
                        throw Error(p.At, $"Pump {p.Name} already exists; use CREATE OR REPLACE PUMP");
                    }

                    pumps[p.Name] = p;
                    break;
                case CreateFunctionStatement f:
                    throw Error(f.At, $"CREATE FUNCTION {f.Name}: user-defined functions are not supported by Sluice; use the built-in functions or a pre-processing Lambda");
            }
        }

        foreach (var stream in created.Values)
        {
            var schema = new SqlStreamSchema(stream.Name, stream.Columns.Select(c => new SqlColumn(c.Name, c.Type)).ToList());
            planner.schemas[stream.Name] = schema;
            graph.AddStream(stream.Name);
            streams.Add(schema);
        }

        foreach (var p in pumps.Values)
        {
            planner.PlanPump(p);
        }

        return streams;
    }

    private void PlanPump(CreatePumpStatement statement)
    {
        pump = statement.Name;
        if (!schemas.TryGetValue(statement.Target, out var target) || graph.Tables.ContainsKey(statement.Target))
        {
            throw Error(statement.At, $"Stream {statement.Target} not found: create it with CREATE STREAM before the pump inserts into it");
        }

        if (inputNames.Contains(statement.Target))
        {
            throw Error(statement.At, $"Pump {statement.Name} cannot insert into input stream {statement.Target}");
        }

        var source = PlanQuery(statement.Query);
        if (!source.IsStream)
        {
            throw Error(statement.Query.At, "A pump must select from a stream (SELECT STREAM)");
        }

        int[] positions;
        if (statement.Columns is { } columns)
        {
            positions = new int[columns.Count];
            for (int i = 0; i < columns.Count; i++)
            {
                int index = target.Columns.ToList().FindIndex(c => c.Name == columns[i].Name);
                positions[i] = index >= 0 ? index : throw Error(columns[i].At, $"Column {columns[i].Name} not found in stream {target.Name}");
            }
        }
        else
        {
            positions = Enumerable.Range(0, target.Columns.Count).ToArray();
        }

        if (source.Scope.Columns.Count != positions.Length)
        {
            throw Error(statement.Query.At, $"INSERT INTO {target.Name} expects {positions.Length} columns but the query selects {source.Scope.Columns.Count}");
        }

        for (int i = 0; i < positions.Length; i++)
        {
            var from = source.Scope.Columns[i].Type;
            var to = target.Columns[positions[i]].Type;
            if (!Binder.Assignable(from, to))
            {
                throw Error(statement.Query.At, $"Column {target.Columns[positions[i]].Name} of {target.Name} is {to.Kind} and cannot take the selected {from.Kind} (item {i + 1})");
            }
        }

        var node = graph.Streams[target.Name];
        var types = target.Columns.Select(c => c.Type).ToArray();
        var insert = new InsertOperator(node, node.AddProducer(), positions, types, statement.Name);
        source.Connect(insert);
    }

    private PlannedSource PlanQuery(Query query)
    {
        switch (query)
        {
            case UnionQuery union:
            {
                var left = PlanQuery(union.Left);
                var right = PlanQuery(union.Right);
                if (left.Scope.Columns.Count != right.Scope.Columns.Count)
                {
                    throw Error(union.At, $"UNION ALL sides select {left.Scope.Columns.Count} and {right.Scope.Columns.Count} columns");
                }

                return new PlannedSource(left.Scope.Requalify(null), op =>
                {
                    left.Connect(op);
                    right.Connect(op);
                }, left.IsStream && right.IsStream);
            }

            case SelectQuery select:
                return PlanSelect(select);
            default:
                throw Error(query.At, "Unsupported query");
        }
    }

    private PlannedSource PlanFrom(FromItem from)
    {
        switch (from)
        {
            case NamedFrom named:
            {
                if (named.Name == RuntimeGraph.ErrorStream)
                {
                    throw Error(named.At, "error_stream cannot be selected from");
                }

                if (!schemas.TryGetValue(named.Name, out var schema))
                {
                    throw Error(named.At, $"Stream or table {named.Name} not found");
                }

                string qualifier = named.Alias ?? named.Name;
                var columns = schema.Columns.Select(c => new ScopeColumn(qualifier, c.Name, c.Type)).ToList();
                if (graph.Tables.TryGetValue(named.Name, out var table))
                {
                    return new PlannedSource(new Scope(columns, [qualifier], false), _ => { }, false, null, table);
                }

                var node = graph.Streams[named.Name];
                string pumpName = pump;
                return new PlannedSource(
                    new Scope(columns, [qualifier], inputNames.Contains(named.Name)),
                    op => node.Subscribers.Add(new PumpGuard(pumpName, graph) { Next = op }),
                    true,
                    named.Over);
            }

            case SubqueryFrom sub:
            {
                var inner = PlanQuery(sub.Query);
                return new PlannedSource(inner.Scope.Requalify(sub.Alias), inner.Connect, inner.IsStream);
            }

            case JoinFrom join:
                return PlanJoin(join);
            case TableFunctionFrom function:
                return PlanTableFunction(function);
            default:
                throw Error(from.At, "Unsupported FROM item");
        }
    }

    private PlannedSource PlanTableFunction(TableFunctionFrom function)
    {
        var cursor = PlanQuery(function.Cursor);
        if (!cursor.IsStream)
        {
            throw Error(function.Cursor.At, "CURSOR needs a SELECT STREAM query");
        }

        var constants = new Binder(new Scope([], [], false), null, false, "table function arguments");
        var args = function.Args.Select(a => (constants.Bind(a) as BoundLiteral)?.Value ?? throw Error(a.At, $"{function.Function} arguments must be literals")).ToList();
        var columns = cursor.Scope.Columns.Select(c => c with { Qualifier = function.Alias }).ToList();
        long Integer(int i, long fallback) => i < args.Count ? (args[i] is long l ? l : throw Error(function.Args[i].At, $"{function.Function} argument {i + 2} must be an integer")) : fallback;
        Operator op;
        switch (function.Function)
        {
            case "RANDOM_CUT_FOREST" or "RANDOM_CUT_FOREST_WITH_EXPLANATION":
            {
                bool explain = function.Function.EndsWith("EXPLANATION", StringComparison.Ordinal);
                int optional = explain ? 5 : 4;
                if (args.Count != 0 && args.Count != optional && !(explain && args.Count == 4))
                {
                    throw Error(function.At, $"{function.Function} takes CURSOR and either no parameters or {optional} (numberOfTrees, subSampleSize, timeDecay, shingleSize{(explain ? ", withDirectionality" : "")})");
                }

                var numeric = NumericColumns(cursor.Scope, function);
                bool directionality = explain && args.Count == 5 && (args[4] is bool b ? b : throw Error(function.Args[4].At, "withDirectionality must be TRUE or FALSE"));
                Functions.Streaming.RandomCutForest forest;
                try
                {
                    forest = new Functions.Streaming.RandomCutForest(numeric.Length, (int)Integer(0, 100), (int)Integer(1, 256), (int)Integer(2, 100000), (int)Integer(3, 1), graph.RandomSeed);
                }
                catch (ArgumentException e)
                {
                    throw Error(function.At, $"{function.Function}: {e.Message}");
                }

                op = new PointScoringOperator(numeric, numeric.Select(i => cursor.Scope.Columns[i].Name).ToArray(), forest, null, explain, directionality);
                columns.Add(new ScopeColumn(function.Alias, "ANOMALY_SCORE", new SqlType(SqlTypeKind.Double)));
                if (explain)
                {
                    columns.Add(new ScopeColumn(function.Alias, "ANOMALY_EXPLANATION", new SqlType(SqlTypeKind.Varchar, Length: 20000)));
                }

                break;
            }

            case "HOTSPOTS":
            {
                if (args.Count != 3)
                {
                    throw Error(function.At, "HOTSPOTS takes CURSOR, windowSize, scanRadius, minimumNumberOfPointsInAHotspot");
                }

                var numeric = NumericColumns(cursor.Scope, function);
                double radius = args[1] switch { long l => l, decimal m => (double)m, double d => d, _ => throw Error(function.Args[1].At, "scanRadius must be a number") };
                Functions.Streaming.Hotspots hotspots;
                try
                {
                    hotspots = new Functions.Streaming.Hotspots((int)Integer(0, 100), radius, (int)Integer(2, 17), graph.RandomSeed);
                }
                catch (ArgumentException e)
                {
                    throw Error(function.At, $"HOTSPOTS: {e.Message}");
                }

                op = new PointScoringOperator(numeric, [], null, hotspots, false, false);
                columns.Add(new ScopeColumn(function.Alias, "HOTSPOTS_RESULT", new SqlType(SqlTypeKind.Varchar, Length: 10000)));
                break;
            }

            case "TOP_K_ITEMS_TUMBLING" or "COUNT_DISTINCT_ITEMS_TUMBLING":
            {
                bool topK = function.Function.StartsWith("TOP_K", StringComparison.Ordinal);
                if (args.Count != (topK ? 3 : 2) || args[0] is not string columnName)
                {
                    throw Error(function.At, topK ? "TOP_K_ITEMS_TUMBLING takes CURSOR, 'column', K, windowSeconds" : "COUNT_DISTINCT_ITEMS_TUMBLING takes CURSOR, 'column', windowSeconds");
                }

                int index = cursor.Scope.Columns.ToList().FindIndex(c => c.Name == columnName);
                if (index < 0)
                {
                    throw Error(function.Args[0].At, $"Column {columnName} not found in the cursor");
                }

                long seconds = Integer(topK ? 2 : 1, 0);
                if (seconds is < 1 or > 3600)
                {
                    throw Error(function.At, $"{function.Function} window must be 1 to 3600 seconds, got {seconds}");
                }

                long k = topK ? Integer(1, 0) : 0;
                if (topK && k is < 1 or > 100_000)
                {
                    throw Error(function.At, $"TOP_K_ITEMS_TUMBLING K must be 1 to 100000, got {k}");
                }

                op = new ItemSketchOperator(index, TimeSpan.FromSeconds(seconds), topK ? new Functions.Streaming.TopKItems((int)k) : null, topK ? null : new Functions.Streaming.DistinctCounter());
                columns = topK
                    ? [new ScopeColumn(function.Alias, columnName, new SqlType(SqlTypeKind.Varchar, Length: 4096)), new ScopeColumn(function.Alias, "ITEM_COUNT", new SqlType(SqlTypeKind.BigInt))]
                    : [new ScopeColumn(function.Alias, "NUMBER_OF_DISTINCT_ITEMS", new SqlType(SqlTypeKind.BigInt))];
                break;
            }

            case "GROUP_RANK":
                op = PlanGroupRank(function, args, columns);
                break;
            default:
                throw Error(function.At, $"Table function {function.Function} not found");
        }

        graph.Track(op);
        return new PlannedSource(new Scope(columns, function.Alias is null ? [] : [function.Alias], false), next =>
        {
            op.Next = next;
            cursor.Connect(op);
        }, true);
    }

    // GROUP_RANK(cursor, 'rankByColumn', 'rankOutColumn', 'asc'|'desc', 'asc'|'desc', maxIdleMs, outputMax): the rank
    // column is appended as INTEGER, or, when the cursor already has a column of that name, written into it.
    private static GroupRankOperator PlanGroupRank(TableFunctionFrom function, List<object> args, List<ScopeColumn> columns)
    {
        const string usage = "GROUP_RANK takes CURSOR, 'rankByColumnName', 'rankOutColumnName', 'asc'|'desc' sortOrder, 'asc'|'desc' outputOrder, maxIdle milliseconds, outputMax";
        if (args.Count != 6)
        {
            throw Error(function.At, $"{usage}; it was given {args.Count + 1} arguments");
        }

        string Text(int i, string what) => args[i] as string ?? throw Error(function.Args[i].At, $"GROUP_RANK {what} must be a string literal");
        bool Descending(int i, string what) => Text(i, what).ToLowerInvariant() switch
        {
            "asc" => false,
            "desc" => true,
            var other => throw Error(function.Args[i].At, $"GROUP_RANK {what} must be 'asc' or 'desc', not '{other}'"),
        };
        long Count(int i, string what) => args[i] is long l && l >= 0 ? l : throw Error(function.Args[i].At, $"GROUP_RANK {what} must be an integer of 0 or more (0 = none)");

        string rankBy = Text(0, "rankByColumnName"), rankOut = Text(1, "rankOutColumnName");
        int by = columns.FindIndex(c => c.Name == rankBy);
        if (by < 0)
        {
            throw Error(function.Args[0].At, $"GROUP_RANK rank column {rankBy} not found in the cursor; its columns are {string.Join(", ", columns.Select(c => c.Name))}");
        }

        var byType = columns[by].Type;
        if (!Binder.IsNumeric(byType) && !Binder.IsString(byType) && !Binder.IsDateTime(byType))
        {
            throw Error(function.Args[0].At, $"GROUP_RANK cannot rank by {rankBy} of type {byType.Kind}; use a number, a character string or a timestamp");
        }

        int output = columns.FindIndex(c => c.Name == rankOut);
        var integer = new SqlType(SqlTypeKind.Integer);
        if (output < 0)
        {
            output = columns.Count;
            columns.Add(new ScopeColumn(function.Alias, rankOut, integer));
        }
        else
        {
            columns[output] = columns[output] with { Type = integer };
        }

        long maxIdle = Count(4, "maxIdle"), outputMax = Count(5, "outputMax");
        return new GroupRankOperator(by, output, columns.Count, Descending(2, "sortOrder"), Descending(3, "outputOrder"), TimeSpan.FromMilliseconds(maxIdle), (int)Math.Min(outputMax, int.MaxValue));
    }

    private static int[] NumericColumns(Scope scope, TableFunctionFrom function)
    {
        var numeric = new List<int>();
        for (int i = 0; i < scope.Columns.Count; i++)
        {
            var type = scope.Columns[i].Type;
            if (Binder.IsNumeric(type) && type.Kind != SqlTypeKind.Decimal)
            {
                numeric.Add(i);
            }
        }

        return numeric.Count is >= 1 and <= 30 ? numeric.ToArray() : throw Error(function.At, $"{function.Function} needs 1 to 30 numeric (not DECIMAL) columns in the cursor, found {numeric.Count}");
    }

    private PlannedSource PlanJoin(JoinFrom join)
    {
        var left = PlanFrom(join.Left);
        var right = PlanFrom(join.Right);
        var scope = Scope.Concat(left.Scope, right.Scope);
        var on = join.On is null ? null : graph.Compiler.CompilePredicate(BindCondition(join.On, scope, "ON"));
        if (left.IsStream && right.IsStream)
        {
            var lw = left.JoinWindow is null ? null : new Binder(left.Scope, null, false, "a join window").BindWindow(left.JoinWindow);
            var rw = right.JoinWindow is null ? null : new Binder(right.Scope, null, false, "a join window").BindWindow(right.JoinWindow);
            if (lw is null && rw is null)
            {
                throw Error(join.At, "A stream-to-stream join needs a window on at least one side, e.g. JOIN s OVER (RANGE INTERVAL '1' MINUTE PRECEDING) AS t");
            }

            if ((lw?.PartitionBy.Count ?? 0) > 0 || (rw?.PartitionBy.Count ?? 0) > 0)
            {
                throw Error(join.At, "Join windows may not use PARTITION BY");
            }

            var streamJoin = new StreamJoin(
                left.Scope.Columns.Count, right.Scope.Columns.Count, lw?.Range, lw?.RowCount, rw?.Range, rw?.RowCount,
                join.Kind is "LEFT" or "FULL", join.Kind is "RIGHT" or "FULL", on);
            var leftSide = graph.Track(new StreamJoinSide(streamJoin, true));
            var rightSide = new StreamJoinSide(streamJoin, false);
            return new PlannedSource(scope, op =>
            {
                streamJoin.Next = op;
                left.Connect(leftSide);
                right.Connect(rightSide);
            }, true);
        }

        if (!left.IsStream && !right.IsStream)
        {
            throw Error(join.At, "A join needs a stream on one side; two reference tables cannot be joined in a pump");
        }

        var stream = left.IsStream ? left : right;
        var table = (left.IsStream ? right : left).Table ?? throw Error(join.At, "The non-stream side of a join must be a reference table");
        bool outer = left.IsStream ? join.Kind is "LEFT" or "FULL" : join.Kind is "RIGHT" or "FULL";
        var tableJoin = new TableJoinOperator(table, stream.Scope.Columns.Count, left.IsStream, outer, on);
        return new PlannedSource(scope, op =>
        {
            tableJoin.Next = op;
            stream.Connect(tableJoin);
        }, true);
    }

    private BoundExpr BindCondition(Expr expr, Scope scope, string clause)
    {
        var bound = new Binder(scope, null, false, clause).Bind(expr);
        if (bound.Type.Kind != SqlTypeKind.Boolean && !Binder.IsNull(bound.Type))
        {
            throw Error(expr.At, $"{clause} needs a BOOLEAN condition but found {bound.Type.Kind}");
        }

        return bound;
    }

    private PlannedSource PlanSelect(SelectQuery select)
    {
        var from = PlanFrom(select.From);
        if (from.IsStream && !select.Stream)
        {
            throw Error(select.At, "A query over a stream must be SELECT STREAM");
        }

        if (!from.IsStream)
        {
            throw Error(select.At, "A pump query must read a stream; reference tables can only be joined to a stream");
        }

        var scope = from.Scope;
        var chain = new List<Operator>();
        if (select.Where is not null)
        {
            chain.Add(new FilterOperator(graph.Compiler.CompilePredicate(BindCondition(select.Where, scope, "WHERE"))));
        }

        // Select list, with * expanded.
        var binder = new Binder(scope, select.Windows, true, "the select list");
        var items = new List<(BoundExpr Expr, string Name, Position At)>();
        foreach (var item in select.Items)
        {
            if (item.Star)
            {
                bool any = false;
                for (int i = 0; i < scope.Columns.Count; i++)
                {
                    var column = scope.Columns[i];
                    if (item.StarQualifier is null || column.Qualifier == item.StarQualifier)
                    {
                        items.Add((new BoundColumn(i, column.Name, column.Type), column.Name, item.At));
                        any = true;
                    }
                }

                if (!any && item.StarQualifier is not null)
                {
                    throw Error(item.At, $"Unknown stream or alias {item.StarQualifier}");
                }

                continue;
            }

            var bound = binder.Bind(item.Expr!);
            string name = item.Alias ?? (item.Expr is NameExpr n ? n.Name : $"EXPR${items.Count}");
            items.Add((bound, name, item.At));
        }

        var having = select.Having is null ? null : binder.Bind(select.Having);
        var aggregates = new List<BoundAggregate>();
        foreach (var item in items)
        {
            CollectAggregates(item.Expr, aggregates);
        }

        if (having is not null)
        {
            CollectAggregates(having, aggregates);
        }

        bool grouped = select.GroupBy.Count > 0 || select.Stagger is not null || aggregates.Any(a => a.Window is null);
        Func<BoundExpr, BoundExpr> rewrite = e => e;
        if (grouped)
        {
            if (aggregates.FirstOrDefault(a => a.Window is not null) is { } windowed)
            {
                throw Error(windowed.At, "OVER windows cannot be combined with GROUP BY or a stagger window in one query");
            }

            rewrite = PlanGroups(select, scope, aggregates, chain);
        }
        else if (aggregates.Count > 0)
        {
            rewrite = PlanSliding(scope, aggregates, chain);
        }
        else if (having is not null)
        {
            throw Error(select.Having!.At, "HAVING needs GROUP BY or a stagger window");
        }

        if (having is not null)
        {
            chain.Add(new FilterOperator(graph.Compiler.CompilePredicate(Rewrite(having, rewrite, select.Having!.At))));
        }

        // Projection.
        var compiled = new List<Func<Row, object?>>();
        var output = new List<ScopeColumn>();
        int rowtimeItem = -1;
        var outputNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < items.Count; i++)
        {
            var expr = Rewrite(items[i].Expr, rewrite, items[i].At);
            if (items[i].Name == "ROWTIME")
            {
                if (!Binder.IsDateTime(expr.Type))
                {
                    throw Error(items[i].At, $"A value selected AS ROWTIME must be a TIMESTAMP, not {expr.Type.Kind}");
                }

                rowtimeItem = i;
            }
            else
            {
                output.Add(new ScopeColumn(null, items[i].Name, Binder.IsNull(expr.Type) ? new SqlType(SqlTypeKind.Varchar, Length: 1) : expr.Type));
            }

            compiled.Add(graph.Compiler.CompileObject(expr));
        }

        chain.Add(new ProjectOperator(compiled.ToArray(), rowtimeItem));
        var outputScope = new Scope(output, [], false);
        if (select.Distinct)
        {
            chain.Add(graph.Track(new DistinctOperator()));
        }

        if (select.OrderBy.Count > 0)
        {
            chain.Add(PlanOrder(select, from.Scope, outputScope));
        }

        for (int i = 0; i + 1 < chain.Count; i++)
        {
            chain[i].Next = chain[i + 1];
        }

        return new PlannedSource(outputScope, op =>
        {
            chain[^1].Next = op;
            from.Connect(chain[0]);
        }, true);
    }

    private static void CollectAggregates(BoundExpr expr, List<BoundAggregate> found)
    {
        if (expr is BoundAggregate aggregate)
        {
            if (!found.Any(a => a.Key == aggregate.Key))
            {
                found.Add(aggregate);
            }

            return;
        }

        expr.Map(child =>
        {
            CollectAggregates(child, found);
            return child;
        });
    }

    private static BoundExpr Rewrite(BoundExpr expr, Func<BoundExpr, BoundExpr> rewrite, Position at)
    {
        try
        {
            return rewrite(expr);
        }
        catch (InvalidOperationException e)
        {
            throw Error(at, e.Message);
        }
    }

    /// <summary>Plans a tumbling GROUP BY or a stagger window; returns the rewrite of select/HAVING expressions onto its output.</summary>
    private Func<BoundExpr, BoundExpr> PlanGroups(SelectQuery select, Scope scope, List<BoundAggregate> aggregates, List<Operator> chain)
    {
        var keyBinder = new Binder(scope, null, false, select.Stagger is null ? "GROUP BY" : "PARTITION BY");
        var keyExprs = select.Stagger?.PartitionBy ?? select.GroupBy;
        var groupExprs = keyExprs.Select(keyBinder.Bind).ToList();
        for (int i = 0; i < groupExprs.Count; i++)
        {
            // A ROW (a log parser's result) has no equality to group on: group by its fields instead.
            if (groupExprs[i].Type.Kind == SqlTypeKind.Row) throw Error(keyExprs[i].At, "Cannot group by a ROW value; group by one of its fields, e.g. (expr).COLUMN1");
        }

        var specs = aggregates.Select(CreateSpec).ToArray();
        var slots = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < groupExprs.Count; i++)
        {
            slots.TryAdd(groupExprs[i].Key, i);
        }

        for (int i = 0; i < aggregates.Count; i++)
        {
            slots.TryAdd(aggregates[i].Key, groupExprs.Count + i);
        }

        if (select.Stagger is { } stagger)
        {
            var range = keyBinder.BindWindow(stagger with { BaseName = null }).Range ?? throw Error(stagger.At, "WINDOWED BY STAGGER needs RANGE INTERVAL '<n>' <unit>");
            var keys = groupExprs.Select(graph.Compiler.CompileObject).ToArray();
            chain.Add(graph.Track(new StaggerAggregateOperator(keys, range, specs)));
        }
        else
        {
            int windowPosition = groupExprs.FindIndex(IsRowtimeWindow);
            if (windowPosition < 0)
            {
                throw Error(select.GroupBy[0].At, "A streaming GROUP BY needs a monotonic expression: STEP(s.ROWTIME BY INTERVAL '<n>' <unit>) or FLOOR(s.ROWTIME TO <unit>)");
            }

            var window = (BoundCall)groupExprs[windowPosition];
            Func<DateTime, DateTime> windowEnd = window.Name == "STEP"
                ? (((BoundLiteral)window.Args[1]).Value is TimeSpan size ? start => start + size : throw Error(select.GroupBy[windowPosition].At, "STEP needs a constant interval"))
                : window.Args[1] is BoundLiteral { Value: string unit } ? start => ScalarOps.NextUnit(start, unit) : throw Error(select.GroupBy[windowPosition].At, "FLOOR needs a unit");
            var start = graph.Compiler.Compile<DateTime?>(window);
            var keys = new List<Func<Row, object?>>();
            for (int i = 0; i < groupExprs.Count; i++)
            {
                if (i != windowPosition)
                {
                    keys.Add(graph.Compiler.CompileObject(groupExprs[i]));
                }
            }

            // Flat state when every aggregate has that form (COUNT/SUM/AVG/MIN/MAX/VAR/STDDEV over numbers); object accumulators otherwise.
            chain.Add(graph.Track<Operator>(Array.TrueForAll(specs, s => s.Flat is not null)
                ? new FlatTumblingAggregateOperator(start, windowEnd, windowPosition, keys.ToArray(), Array.ConvertAll(specs, s => s.Flat!))
                : new TumblingAggregateOperator(start, windowEnd, windowPosition, keys.ToArray(), specs)));
        }

        var types = groupExprs.Select(e => e.Type).Concat(aggregates.Select(a => a.Type)).ToArray();
        BoundExpr Map(BoundExpr e)
        {
            if (slots.TryGetValue(e.Key, out int slot))
            {
                return new BoundColumn(slot, e.Key, types[slot]);
            }

            return e switch
            {
                BoundColumn c => throw new InvalidOperationException($"Column {c.Name} must appear in {(select.Stagger is null ? "GROUP BY" : "PARTITION BY")} or inside an aggregate"),
                BoundMeta { Field: not "ROWTIME" } m => throw new InvalidOperationException($"{m.Field} must appear in GROUP BY or inside an aggregate"),
                _ => e.Map(Map),
            };
        }

        return Map;
    }

    private static bool IsRowtimeWindow(BoundExpr e) =>
        e is BoundCall { Name: "STEP" or "FLOOR_TO" } call && call.Args[0] is BoundMeta { Field: "ROWTIME" } && call.Args[1] is BoundLiteral;

    /// <summary>Plans OVER windows: each distinct window gets its partitions and frame; aggregates become extra columns.</summary>
    private Func<BoundExpr, BoundExpr> PlanSliding(Scope scope, List<BoundAggregate> aggregates, List<Operator> chain)
    {
        int width = scope.Columns.Count;
        var slots = new Dictionary<string, int>(StringComparer.Ordinal);
        var windows = new List<SlidingWindow>();
        foreach (var group in aggregates.GroupBy(a => a.Window!.Key))
        {
            var bound = group.First().Window!;
            var members = group.ToList();
            var slotList = new int[members.Count];
            for (int i = 0; i < members.Count; i++)
            {
                slotList[i] = width;
                slots[members[i].Key] = width++;
            }

            windows.Add(new SlidingWindow(
                bound.PartitionBy.Select(graph.Compiler.CompileObject).ToArray(),
                bound.Rows ? null : bound.Range,
                bound.Rows ? bound.RowCount : null,
                members.Select(CreateSpec).ToArray(),
                slotList));
        }

        chain.Add(graph.Track(new SlidingWindowOperator(windows.ToArray(), width)));
        var types = new Dictionary<string, SqlType>(StringComparer.Ordinal);
        foreach (var a in aggregates)
        {
            types[a.Key] = a.Type;
        }

        BoundExpr Map(BoundExpr e) => e is BoundAggregate a ? new BoundColumn(slots[a.Key], a.Key, types[a.Key]) : e.Map(Map);
        return Map;
    }

    private AggregateSpec CreateSpec(BoundAggregate aggregate)
    {
        var compiler = graph.Compiler;
        var arg = aggregate.Args.Count > 0 ? aggregate.Args[0] : null;
        switch (aggregate.Function)
        {
            case "COUNT":
            {
                var value = arg is null ? null : compiler.CompileObject(arg);
                return new AggregateSpec("COUNT", () => new CountAccumulator(value)) { Flat = FlatAggregate.Count(value) };
            }

            case "SUM" or "AVG":
            {
                bool average = aggregate.Function == "AVG";
                var clr = ExpressionCompiler.ClrOf(arg!.Type);
                if (clr == typeof(long?))
                {
                    var value = compiler.Compile<long?>(arg);
                    return new AggregateSpec(aggregate.Function, () => new LongSumAccumulator(value, average)) { Flat = FlatAggregate.LongSum(aggregate.Function, value) };
                }

                if (clr == typeof(decimal?))
                {
                    var value = compiler.Compile<decimal?>(arg);
                    return new AggregateSpec(aggregate.Function, () => new DecimalSumAccumulator(value, average));
                }

                var d = compiler.Compile<double?>(arg);
                return new AggregateSpec(aggregate.Function, () => new DoubleMomentsAccumulator(d, aggregate.Function)) { Flat = FlatAggregate.DoubleMoments(aggregate.Function, d) };
            }

            case "VAR_POP" or "VAR_SAMP" or "STDDEV_POP" or "STDDEV_SAMP":
            {
                var value = compiler.Compile<double?>(arg!);
                return new AggregateSpec(aggregate.Function, () => new DoubleMomentsAccumulator(value, aggregate.Function)) { Flat = FlatAggregate.DoubleMoments(aggregate.Function, value) };
            }

            case "EXP_AVG":
            {
                var value = compiler.Compile<double?>(arg!);
                var halfLife = aggregate.Args[1] is BoundLiteral { Value: TimeSpan h } && h > TimeSpan.Zero ? h : throw Error(aggregate.At, "EXP_AVG needs a positive interval literal half-life");
                return new AggregateSpec("EXP_AVG", () => new ExponentialAverageAccumulator(value, halfLife));
            }

            case "ANY" or "EVERY":
            {
                var value = compiler.Compile<bool?>(arg!);
                bool every = aggregate.Function == "EVERY";
                return new AggregateSpec(aggregate.Function, () => new BooleanAccumulator(value, every));
            }

            case "LAG":
            {
                long offset = aggregate.Args.Count > 1 ? (aggregate.Args[1] is BoundLiteral { Value: long n } && n >= 0 ? n : throw Error(aggregate.At, "LAG offset must be a non-negative integer literal")) : 1;
                var fallback = aggregate.Args.Count > 2 ? compiler.CompileObject(aggregate.Args[2]) : null;
                return new AggregateSpec("LAG", null, compiler.CompileObject(arg!), offset, fallback);
            }

            case "NTH_VALUE":
            {
                long n = aggregate.Args[1] is BoundLiteral { Value: long k } && k >= 1 ? k : throw Error(aggregate.At, "NTH_VALUE position must be a positive integer literal");
                return new AggregateSpec("NTH_VALUE", null, compiler.CompileObject(arg!), n);
            }

            default:
            {
                var value = compiler.CompileObject(arg!);
                string function = aggregate.Function;
                var clr = ExpressionCompiler.ClrOf(arg!.Type);
                var flat = function is not ("MIN" or "MAX") ? null
                    : clr == typeof(long?) ? FlatAggregate.LongPick(function, compiler.Compile<long?>(arg))
                    : clr == typeof(double?) ? FlatAggregate.DoublePick(function, compiler.Compile<double?>(arg))
                    : null;
                return new AggregateSpec(function, () => new PickAccumulator(value, function)) { Flat = flat };
            }
        }
    }

    private Operator PlanOrder(SelectQuery select, Scope source, Scope output)
    {
        var scope = new Scope(output.Columns, source.Qualifiers, false) { LooseQualifiers = true };
        var binder = new Binder(scope, null, false, "ORDER BY");
        var lead = binder.Bind(select.OrderBy[0].Expr);
        if (!IsRowtimeWindow(lead))
        {
            throw Error(select.OrderBy[0].Expr.At, "ORDER BY on a stream needs a monotonic leading key, e.g. FLOOR(s.ROWTIME TO SECOND)");
        }

        var call = (BoundCall)lead;
        Func<DateTime, DateTime> end = call.Name == "STEP" && call.Args[1] is BoundLiteral { Value: TimeSpan size }
            ? start => start + size
            : call.Args[1] is BoundLiteral { Value: string unit } ? start => ScalarOps.NextUnit(start, unit) : throw Error(select.OrderBy[0].Expr.At, "ORDER BY key needs a constant unit");
        var keys = select.OrderBy.Skip(1).Select(o => graph.Compiler.CompileObject(binder.Bind(o.Expr))).ToArray();
        var descending = select.OrderBy.Skip(1).Select(o => o.Descending).ToArray();
        return graph.Track(new OrderOperator(graph.Compiler.Compile<DateTime?>(lead), end, keys, descending));
    }
}
