namespace Sluice.Analytics.Sql.Execution;

/// <summary>The operators of one running application: streams, reference tables, and every stateful operator in plan order.</summary>
internal sealed class RuntimeGraph : IErrorSink
{
    public const string ErrorStream = "error_stream";

    private readonly ISqlRowSink? sink;
    private readonly IReadOnlySet<string> outputs;
    private readonly object?[] errorValues = new object?[7];

    public RuntimeGraph(ISqlRowSink? sink, IReadOnlySet<string> outputs)
    {
        this.sink = sink;
        this.outputs = outputs;
        Compiler = new ExpressionCompiler(Clock);
    }

    public RuntimeClock Clock { get; } = new();

    public ExpressionCompiler Compiler { get; }

    public Dictionary<string, StreamNode> Streams { get; } = new(StringComparer.Ordinal);

    public List<StreamNode> Inputs { get; } = [];

    public Dictionary<string, ReferenceTable> Tables { get; } = new(StringComparer.Ordinal);

    /// <summary>Operators with state, in the deterministic order planning created them (SaveState/RestoreState rely on it).</summary>
    public List<Operator> Operators { get; } = [];

    public int RandomSeed { get; init; } = 1;

    public StreamNode AddStream(string name)
    {
        var node = new StreamNode(name, sink is not null && outputs.Contains(name) ? Emit : null, this);
        Streams[name] = node;
        return node;
    }

    private void Emit(string stream, DateTime rowtime, object?[] values) => sink!.Emit(stream, rowtime, values);

    public T Track<T>(T op)
        where T : Operator
    {
        Operators.Add(op);
        return op;
    }

    public void Report(DateTime rowtime, string name, string message, DateTime? dataRowtime, string dataRowHex, string? pump)
    {
        if (sink is null || !outputs.Contains(ErrorStream))
        {
            return;
        }

        var now = Clock.Now > rowtime ? Clock.Now : rowtime;
        errorValues[0] = now;
        errorValues[1] = "ERROR";
        errorValues[2] = name;
        errorValues[3] = message;
        errorValues[4] = dataRowtime;
        errorValues[5] = dataRowHex;
        errorValues[6] = pump;
        sink.Emit(ErrorStream, now, errorValues);
    }
}
