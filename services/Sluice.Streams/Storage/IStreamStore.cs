namespace Sluice.Streams.Storage;

/// <summary>
/// The Streams service's storage: stream metadata documents, the durable record log and per-shard sequence rows.
/// SQLite (embedded) and PostgreSQL (cluster) implement it; nothing here calls back into the service.
/// </summary>
public interface IStreamStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken ct);

    /// <summary>The server's secret for iterators and tokens, created on first use and shared by replicas.</summary>
    Task<byte[]> GetSecretAsync(CancellationToken ct);

    /// <summary>Every stored stream document (JSON).</summary>
    Task<IReadOnlyList<string>> LoadStreamsAsync(CancellationToken ct);

    /// <summary>A stream id never used before.</summary>
    Task<long> AllocateStreamIdAsync(CancellationToken ct);

    /// <summary>Inserts or replaces a stream's document.</summary>
    Task SaveStreamAsync(long streamId, string name, string document, CancellationToken ct);

    /// <summary>Removes a stream's document, shard rows and records.</summary>
    Task DeleteStreamAsync(long streamId, CancellationToken ct);

    /// <summary>Creates the sequence row of a new shard (idempotent).</summary>
    Task AddShardAsync(long streamId, int shardIndex, CancellationToken ct);

    /// <summary>Closes a shard: no append lands in it afterwards. Returns the index one past its last record (idempotent).</summary>
    Task<long> CloseShardAsync(long streamId, int shardIndex, CancellationToken ct);

    /// <summary>
    /// Appends the batch in one transaction, durable on return. Assigns each record its index (strictly increasing per
    /// shard) and returns true; returns false, appending nothing, when a target shard has been closed.
    /// </summary>
    Task<bool> AppendAsync(AppendBatch batch, CancellationToken ct);

    /// <summary>Index the next record of the shard will get.</summary>
    Task<long> NextRecordIndexAsync(long streamId, int shardIndex, CancellationToken ct);

    /// <summary>Records from <paramref name="fromIndex"/> on, arrived at or after <paramref name="minArrivalMs"/>, up to the limits.</summary>
    Task<IReadOnlyList<StoredRecord>> ReadAsync(long streamId, int shardIndex, long fromIndex, long minArrivalMs, int limit, int maxBytes, CancellationToken ct);

    /// <summary>Index of the first record that arrived at or after the time, or null when none has yet.</summary>
    Task<long?> FirstIndexAtOrAfterAsync(long streamId, int shardIndex, long arrivalMs, CancellationToken ct);

    /// <summary>Drops the shard's records that arrived before the time, in bulk.</summary>
    Task TrimAsync(long streamId, int shardIndex, long beforeArrivalMs, CancellationToken ct);
}

/// <summary>Records to append in one transaction, grouped by shard; the store fills <see cref="ShardAppend.FirstIndex"/>.</summary>
public sealed class AppendBatch
{
    public List<ShardAppend> Shards { get; } = [];

    /// <summary>Arrival time of every record in the batch (monotonic per process).</summary>
    public long ArrivalMs { get; set; }
}

/// <summary>The records of one shard in a batch, in order; they get indexes FirstIndex, FirstIndex+1, ...</summary>
public sealed class ShardAppend(long streamId, int shardIndex)
{
    public long StreamId { get; } = streamId;

    public int ShardIndex { get; } = shardIndex;

    public List<(string PartitionKey, byte[] Data)> Records { get; } = [];

    public long FirstIndex { get; set; }
}

/// <summary>A record as stored.</summary>
public readonly record struct StoredRecord(long Index, long ArrivalMs, string PartitionKey, byte[] Data);
