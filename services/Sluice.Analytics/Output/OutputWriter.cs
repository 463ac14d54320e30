using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Sluice.Streams.Client;
using Sluice.Streams.V1;

namespace Sluice.Analytics.Output;

/// <summary>
/// One output destination (a Sluice stream, or a delivery stream's backing stream): rows wait in order and are
/// appended with PutRecords, failed entries retried until they succeed (back-pressure). Each row's partition key
/// carries its number (<c>kda:&lt;app&gt;:&lt;output&gt;:&lt;epoch&gt;:&lt;n&gt;</c>) so a restart can tell which rows already arrived.
/// </summary>
public sealed class OutputWriter(StreamsClient client, string stream, string keyPrefix, ILogger logger) : IRowDestination
{
    private const int MaxBatch = 500;
    private readonly List<PutRecordsEntry> _pending = [];

    public string Stream => stream;

    /// <summary>Per shard, the last sequence number written there by this writer.</summary>
    public Dictionary<string, string> Positions { get; } = new(StringComparer.Ordinal);

    public int Pending => _pending.Count;

    /// <summary>Queues a row; <paramref name="data"/> is the encoder's fresh array and is kept, not copied.</summary>
    public void Add(long number, byte[] data) =>
        _pending.Add(new PutRecordsEntry { PartitionKey = keyPrefix + number.ToString(System.Globalization.CultureInfo.InvariantCulture), Data = UnsafeByteOperations.UnsafeWrap(data) });

    /// <summary>Writes every pending row; returns only when all are stored (or throws on cancellation).</summary>
    public async Task FlushAsync(bool force, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        var start = 0;
        while (start < _pending.Count)
        {
            var request = new PutRecordsRequest { StreamName = stream };
            var end = Math.Min(_pending.Count, start + MaxBatch);
            for (var i = start; i < end; i++) request.Records.Add(_pending[i]);
            PutRecordsResponse response;
            try
            {
                response = await client.PutRecordsAsync(request, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning("Writing {Count} rows to {Stream} failed, retrying: {Message}", end - start, stream, e.Message);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
                continue;
            }

            var failed = new List<PutRecordsEntry>();
            for (var i = 0; i < response.Records.Count; i++)
            {
                var result = response.Records[i];
                if (string.IsNullOrEmpty(result.ErrorCode))
                {
                    if (!Positions.TryGetValue(result.ShardId, out var last) || Later(result.SequenceNumber, last)) Positions[result.ShardId] = result.SequenceNumber;
                }
                else
                {
                    failed.Add(request.Records[i]);
                }
            }

            if (failed.Count > 0)
            {
                // Failed entries go back in front of the rest and are retried after a pause.
                _pending.RemoveRange(start, end - start);
                _pending.InsertRange(start, failed);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
                continue;
            }

            delay = TimeSpan.FromMilliseconds(100);
            start = end;
        }

        _pending.Clear();
    }

    /// <summary>
    /// The highest row number of this output (within <paramref name="keyPrefix"/>) already in the stream after the given
    /// positions: rows up to it arrived before a crash and must not be written again.
    /// </summary>
    public async Task<long> HighestDeliveredAsync(IReadOnlyDictionary<string, string> after, CancellationToken ct)
    {
        long highest = 0;
        var shards = await client.ListShardsAsync(stream, ct);
        foreach (var shard in shards.Shards)
        {
            var position = after.TryGetValue(shard.ShardId, out var seq)
                ? new StartingPosition { Type = StartingPosition.Types.Type.AfterSequenceNumber, SequenceNumber = seq }
                : new StartingPosition { Type = StartingPosition.Types.Type.TrimHorizon };
            for (var round = 0; round < 100_000; round++)
            {
                var response = await client.GetRecordsAsync(new GetRecordsRequest { StreamName = stream, ShardId = shard.ShardId, Position = position, Limit = 10000 }, ct);
                foreach (var record in response.Records)
                {
                    if (!record.PartitionKey.StartsWith(keyPrefix, StringComparison.Ordinal)) continue;
                    if (long.TryParse(record.PartitionKey.AsSpan(keyPrefix.Length), System.Globalization.CultureInfo.InvariantCulture, out var n) && n > highest) highest = n;
                    Positions[shard.ShardId] = record.SequenceNumber;
                }

                if (response.Records.Count == 0 || response.ShardEnd || string.IsNullOrEmpty(response.ContinuationSequenceNumber)) break;
                position = new StartingPosition { Type = StartingPosition.Types.Type.AtSequenceNumber, SequenceNumber = response.ContinuationSequenceNumber };
            }
        }

        return highest;
    }

    /// <summary>Sequence numbers are decimal strings: longer is later, then ordinal.</summary>
    public static bool Later(string a, string b) => a.Length != b.Length ? a.Length > b.Length : string.CompareOrdinal(a, b) > 0;
}
