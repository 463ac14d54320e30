namespace Sluice.Analytics.Sql.Execution;

/// <summary>A row flowing between operators: ROWTIME, column values, and the source metadata of input rows.</summary>
internal sealed class Row
{
    public DateTime Time;
    public object?[] Values;
    public DateTime Arrival;
    public string? PartitionKey;
    public string? SequenceNumber;
    public string? ShardId;

    public Row(DateTime time, object?[] values)
    {
        Time = time;
        Values = values;
        Arrival = time;
    }

    /// <summary>A row with new values that keeps this row's time and source metadata.</summary>
    public Row With(object?[] values) => new(Time, values) { Arrival = Arrival, PartitionKey = PartitionKey, SequenceNumber = SequenceNumber, ShardId = ShardId };

    /// <summary>Makes this (reused) row carry <paramref name="source"/>'s time and metadata with the given values.</summary>
    public Row Reuse(Row source, object?[] values)
    {
        Time = source.Time;
        Values = values;
        Arrival = source.Arrival;
        PartitionKey = source.PartitionKey;
        SequenceNumber = source.SequenceNumber;
        ShardId = source.ShardId;
        return this;
    }
}

/// <summary>A runtime error in one row (division by zero, bad cast); the row goes to error_stream.</summary>
internal sealed class SqlRuntimeException(string name, string message) : Exception(message)
{
    public string ErrorName { get; } = name;
}
