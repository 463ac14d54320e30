using Sluice.Analytics.Sql.Execution;
using Sluice.Analytics.Sql.Syntax;

namespace Sluice.Analytics.Sql.Planning;

/// <summary>A parsed and validated application; each runtime plans its own operators from the statements.</summary>
internal sealed class CompiledProgram : SqlProgram
{
    /// <summary>The columns of error_stream, listed last in <see cref="Streams"/>.</summary>
    public static readonly SqlStreamSchema ErrorStreamSchema = new(RuntimeGraph.ErrorStream,
    [
        new SqlColumn("ERROR_TIME", new SqlType(SqlTypeKind.Timestamp)),
        new SqlColumn("ERROR_LEVEL", new SqlType(SqlTypeKind.Varchar, Length: 10)),
        new SqlColumn("ERROR_NAME", new SqlType(SqlTypeKind.Varchar, Length: 32)),
        new SqlColumn("MESSAGE", new SqlType(SqlTypeKind.Varchar, Length: 4096)),
        new SqlColumn("DATA_ROWTIME", new SqlType(SqlTypeKind.Timestamp)),
        new SqlColumn("DATA_ROW", new SqlType(SqlTypeKind.Varchar, Length: 49152)),
        new SqlColumn("PUMP_NAME", new SqlType(SqlTypeKind.Varchar, Length: 128)),
    ]);

    private readonly List<Statement> statements;
    private readonly IReadOnlyList<SqlStreamSchema> inputs;
    private readonly IReadOnlyList<SqlStreamSchema> tables;

    private CompiledProgram(List<Statement> statements, IReadOnlyList<SqlStreamSchema> inputs, IReadOnlyList<SqlStreamSchema> tables, List<SqlStreamSchema> streams)
    {
        this.statements = statements;
        this.inputs = inputs;
        this.tables = tables;
        streams.Add(ErrorStreamSchema);
        Streams = streams;
    }

    public override IReadOnlyList<SqlStreamSchema> Streams { get; }

    public static CompiledProgram Create(string code, IReadOnlyList<SqlStreamSchema> inputs, IReadOnlyList<SqlStreamSchema> tables)
    {
        var statements = Parser.ParseProgram(code);
        var streams = Planner.Plan(new RuntimeGraph(null, new HashSet<string>()), statements, inputs, tables);
        return new CompiledProgram(statements, inputs, tables, streams);
    }

    public override SqlRuntime CreateRuntime(SqlRuntimeOptions options)
    {
        var graph = new RuntimeGraph(options.Sink, options.OutputStreams) { RandomSeed = options.RandomSeed };
        Planner.Plan(graph, statements, inputs, tables);
        return new EngineRuntime(graph);
    }
}
