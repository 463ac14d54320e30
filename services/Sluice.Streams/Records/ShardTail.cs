using Sluice.Streams.Catalog;
using Sluice.Streams.Storage;

namespace Sluice.Streams.Records;

/// <summary>What one read at a shard's tip found: records, where the next read starts, the shard's tip, and whether the shard has ended.</summary>
public readonly record struct ShardRead(IReadOnlyList<StoredRecord> Records, long NextIndex, long Tip, bool AtEnd);

/// <summary>
/// Reads a shard from a position and, at the tip, waits for the next append's signal instead of polling.
/// The one way push readers (SubscribeToShard, the gRPC Subscribe call) follow a shard.
/// </summary>
public sealed class ShardTail(IStreamStore store, ShardSignals signals, TimeProvider time)
{
    /// <summary>
    /// Records from <paramref name="fromIndex"/> on (skipping those past retention); when there are none yet, waits up to
    /// <paramref name="maxWait"/> for an append. Returns an empty read when the wait ends with nothing new.
    /// </summary>
    public async Task<ShardRead> NextAsync(StreamState stream, ShardState shard, long fromIndex, int limit, int maxBytes, TimeSpan maxWait, CancellationToken ct)
    {
        var signal = signals.For(stream.Id, shard.Index);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(maxWait);
        while (true)
        {
            var seen = signal.Version;
            var end = shard.EndRecordIndex;
            var tip = end ?? await store.NextRecordIndexAsync(stream.Id, shard.Index, ct);
            if (fromIndex < tip)
            {
                var trimHorizon = time.GetUtcNow().ToUnixTimeMilliseconds() - (stream.RetentionHours * 3_600_000L);
                var records = await store.ReadAsync(stream.Id, shard.Index, fromIndex, trimHorizon, limit, maxBytes, ct);
                // Nothing readable below the tip means everything there has expired: move to the tip.
                var next = records.Count > 0 ? records[^1].Index + 1 : tip;
                return new ShardRead(records, next, tip, end is not null && next >= end);
            }

            if (end is not null) return new ShardRead([], fromIndex, tip, AtEnd: true);
            try
            {
                await signal.WaitAsync(seen, timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new ShardRead([], fromIndex, tip, AtEnd: false);
            }
        }
    }
}
