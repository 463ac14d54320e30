using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Sluice.Streams.Catalog;
using Sluice.Streams.Storage;

namespace Sluice.Streams.Records;

/// <summary>A record on its way into a shard: its hash key decides the shard at commit time.</summary>
public readonly record struct PendingRecord(UInt128 HashKey, string PartitionKey, byte[] Data);

/// <summary>Where a record landed: its shard, its index in the shard and its arrival time.</summary>
public readonly record struct AppendedRecord(ShardState Shard, long Index, long ArrivalMs);

/// <summary>
/// The write path's group commit: concurrent puts queue here and a committer appends everything queued in one
/// transaction, then acknowledges each put. A put is answered only after its transaction is durable.
/// </summary>
public sealed class RecordLog : IAsyncDisposable
{
    private const int MaxBatchRecords = 20_000;
    private readonly Channel<AppendRequest> _queue = Channel.CreateBounded<AppendRequest>(new BoundedChannelOptions(4096) { SingleReader = false });
    private readonly IStreamStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<RecordLog> _logger;
    private readonly Task[] _committers;
    private long _lastArrivalMs;

    public RecordLog(IStreamStore store, TimeProvider time, ILogger<RecordLog> logger, int committers = 1)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _committers = Enumerable.Range(0, committers).Select(_ => Task.Run(CommitLoopAsync)).ToArray();
    }

    /// <summary>Raised after each durable append with the stream id and the shards it touched (for push delivery).</summary>
    public event Action<long, IReadOnlyList<int>>? Appended;

    /// <summary>Appends the records durably, in order per shard; results line up with the input.</summary>
    public async Task<AppendedRecord[]> AppendAsync(StreamState stream, PendingRecord[] records, CancellationToken ct)
    {
        var request = new AppendRequest(stream, records);
        await _queue.Writer.WriteAsync(request, ct);
        return await request.Completion.Task;
    }

    private async Task CommitLoopAsync()
    {
        var reader = _queue.Reader;
        var pending = new List<AppendRequest>();
        while (await reader.WaitToReadAsync())
        {
            pending.Clear();
            var count = 0;
            while (count < MaxBatchRecords && reader.TryRead(out var request))
            {
                pending.Add(request);
                count += request.Records.Length;
            }

            if (pending.Count == 0) continue;
            try
            {
                await CommitAsync(pending);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Append of {Count} records failed", count);
                foreach (var request in pending) request.Completion.TrySetException(e);
            }
        }
    }

    private async Task CommitAsync(List<AppendRequest> requests)
    {
        // A shard can close between routing and commit (a reshard); the store then refuses the batch and the records
        // are routed again against the stream's new open shards. Bounded: a reshard completes in one step.
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var batch = new AppendBatch { ArrivalMs = NextArrivalMs() };
            var slots = new Dictionary<(long, int), (ShardAppend Append, ShardState Shard)>();
            var placements = new (ShardAppend Append, ShardState Shard, int Offset)[requests.Sum(r => r.Records.Length)];
            var p = 0;
            foreach (var request in requests)
            {
                foreach (var record in request.Records)
                {
                    var shard = request.Stream.ShardFor(record.HashKey) ?? throw new InvalidOperationException($"No open shard holds hash key {record.HashKey}.");
                    if (!slots.TryGetValue((request.Stream.Id, shard.Index), out var slot))
                    {
                        slot = (new ShardAppend(request.Stream.Id, shard.Index), shard);
                        slots.Add((request.Stream.Id, shard.Index), slot);
                    }

                    placements[p++] = (slot.Append, shard, slot.Append.Records.Count);
                    slot.Append.Records.Add((record.PartitionKey, record.Data));
                }
            }

            batch.Shards.AddRange(slots.Values.Select(s => s.Append).OrderBy(s => s.StreamId).ThenBy(s => s.ShardIndex));
            if (!await _store.AppendAsync(batch, CancellationToken.None))
            {
                await Task.Delay(5);
                continue;
            }

            p = 0;
            foreach (var request in requests)
            {
                var results = new AppendedRecord[request.Records.Length];
                for (var i = 0; i < results.Length; i++, p++)
                {
                    var (append, shard, offset) = placements[p];
                    results[i] = new AppendedRecord(shard, append.FirstIndex + offset, batch.ArrivalMs);
                }

                request.Completion.TrySetResult(results);
            }

            if (Appended is { } appended)
            {
                foreach (var group in batch.Shards.GroupBy(s => s.StreamId)) appended(group.Key, group.Select(s => s.ShardIndex).ToList());
            }

            return;
        }

        throw new InvalidOperationException("Records could not be routed to an open shard.");
    }

    private long NextArrivalMs()
    {
        // Arrival times never go backwards, so AT_TIMESTAMP and retention can rely on order within a shard.
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        long last, next;
        do
        {
            last = Interlocked.Read(ref _lastArrivalMs);
            next = Math.Max(now, last);
        }
        while (Interlocked.CompareExchange(ref _lastArrivalMs, next, last) != last);
        return next;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_committers);
    }

    private sealed class AppendRequest(StreamState stream, PendingRecord[] records)
    {
        public StreamState Stream { get; } = stream;

        public PendingRecord[] Records { get; } = records;

        public TaskCompletionSource<AppendedRecord[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
