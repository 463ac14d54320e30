using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Destinations;

/// <summary>A record in a buffer ready for delivery (after transformation), with where it came from.</summary>
public sealed record BufferedRecord(ReadOnlyMemory<byte> Data, DateTimeOffset ApproximateArrivalTimestamp, string SequenceNumber, long SubsequenceNumber);

/// <summary>
/// One flushed buffer. <see cref="BatchId"/> is derived from the shard and the sequence range the batch holds (and the
/// partition, for dynamic partitioning), so a redelivery after a crash carries the same id: destinations use it to make
/// delivery idempotent (same S3 key, same load id in PostgreSQL, same X-Amz-Firehose-Request-Id).
/// </summary>
public sealed record DeliveryBatch(DeliveryStreamDefinition Stream, string BatchId, string ShardId, IReadOnlyList<BufferedRecord> Records, DateTimeOffset OldestArrival)
{
    public long Bytes
    {
        get
        {
            long total = 0;
            foreach (var r in Records) total += r.Data.Length;
            return total;
        }
    }
}

/// <summary>What became of a batch at a non-S3 destination.</summary>
public sealed record DeliveryOutcome(bool Delivered, int AttemptsMade, string? ErrorCode = null, string? ErrorMessage = null)
{
    public static DeliveryOutcome Success(int attempts) => new(true, attempts);
}

/// <summary>
/// A non-S3 destination (HTTP endpoint, PostgreSQL). Retries inside until the destination's RetryOptions.DurationInSeconds
/// runs out, then returns a failed outcome (the delivery loop then backs the batch up to S3 as AWS does). Idempotent per
/// <see cref="DeliveryBatch.BatchId"/>.
/// </summary>
public interface IBatchDestination
{
    DestinationKind Kind { get; }

    Task<DeliveryOutcome> DeliverAsync(DeliveryBatch batch, CancellationToken ct);
}
