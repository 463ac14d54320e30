namespace Sluice.Streams.Storage;

/// <summary>The cluster store on PostgreSQL (being written).</summary>
public sealed class PostgresStreamStore(string connectionString) : IStreamStore
{
    public string ConnectionString { get; } = connectionString;

    public Task InitializeAsync(CancellationToken ct) => throw new NotSupportedException();
    public Task<byte[]> GetSecretAsync(CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<string>> LoadStreamsAsync(CancellationToken ct) => throw new NotSupportedException();
    public Task<long> AllocateStreamIdAsync(CancellationToken ct) => throw new NotSupportedException();
    public Task SaveStreamAsync(long streamId, string name, string document, CancellationToken ct) => throw new NotSupportedException();
    public Task DeleteStreamAsync(long streamId, CancellationToken ct) => throw new NotSupportedException();
    public Task AddShardAsync(long streamId, int shardIndex, CancellationToken ct) => throw new NotSupportedException();
    public Task<long> CloseShardAsync(long streamId, int shardIndex, CancellationToken ct) => throw new NotSupportedException();
    public Task<bool> AppendAsync(AppendBatch batch, CancellationToken ct) => throw new NotSupportedException();
    public Task<long> NextRecordIndexAsync(long streamId, int shardIndex, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<StoredRecord>> ReadAsync(long streamId, int shardIndex, long fromIndex, long minArrivalMs, int limit, int maxBytes, CancellationToken ct) => throw new NotSupportedException();
    public Task<long?> FirstIndexAtOrAfterAsync(long streamId, int shardIndex, long arrivalMs, CancellationToken ct) => throw new NotSupportedException();
    public Task TrimAsync(long streamId, int shardIndex, long beforeArrivalMs, CancellationToken ct) => throw new NotSupportedException();
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
