using System.Text.Json;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Transform;

/// <summary>Where a record read from a Kinesis source came from (the Lambda event's kinesisRecordMetadata).</summary>
public sealed record KinesisRecordMetadata(string ShardId, string PartitionKey, string SequenceNumber, long SubsequenceNumber, DateTimeOffset ApproximateArrivalTimestamp);

/// <summary>One record entering the transform hook. <see cref="RecordId"/> is stable across redelivery (derived from its sequence number).</summary>
public sealed record SourceRecord(string RecordId, ReadOnlyMemory<byte> Data, DateTimeOffset ApproximateArrivalTimestamp, KinesisRecordMetadata? Kinesis);

/// <summary>The transform function's verdict on one record (Lambda's <c>result</c>).</summary>
public enum TransformResult
{
    Ok,
    Dropped,
    ProcessingFailed,
}

/// <summary>
/// One record after the transform hook, in input order. For <see cref="TransformResult.ProcessingFailed"/> (or a
/// whole failed invocation) <see cref="ErrorCode"/>/<see cref="ErrorMessage"/>/<see cref="AttemptsMade"/> feed the
/// processing-failed error output; <see cref="PartitionKeys"/> is Lambda's <c>metadata.partitionKeys</c>.
/// </summary>
public sealed record TransformedRecord(
    SourceRecord Source,
    TransformResult Result,
    ReadOnlyMemory<byte> Data,
    IReadOnlyDictionary<string, string>? PartitionKeys,
    string? ErrorCode = null,
    string? ErrorMessage = null,
    int AttemptsMade = 1,
    string? LambdaArn = null);

/// <summary>
/// The Lambda-style transform hook: sends the Firehose transformation event to the HTTP handler mapped to the
/// processor's LambdaArn and returns one result per input record. Never throws for a failed function: after the
/// processor's NumberOfRetries every record comes back ProcessingFailed with the last error.
/// </summary>
public interface IRecordTransformer
{
    /// <summary>The Lambda processor of a ProcessingConfiguration, or null when none is enabled.</summary>
    LambdaProcessor? FindProcessor(JsonElement destinationConfiguration);

    Task<IReadOnlyList<TransformedRecord>> TransformAsync(DeliveryStreamDefinition stream, LambdaProcessor processor, IReadOnlyList<SourceRecord> records, CancellationToken ct);
}

/// <summary>A Lambda processor's parameters with AWS's defaults applied (BufferSizeInMBs 1, BufferIntervalInSeconds 60, NumberOfRetries 3).</summary>
public sealed record LambdaProcessor(string LambdaArn, int NumberOfRetries, double BufferSizeInMBs, int BufferIntervalInSeconds);
