using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Destinations;
using Sluice.Firehose.Transform;

namespace Sluice.Firehose.Delivery;

/// <summary>A whole user record read from the source (after KPL de-aggregation), in shard order.</summary>
public readonly record struct SourceItem(string SequenceNumber, long SubsequenceNumber, DateTimeOffset ApproximateArrival, ReadOnlyMemory<byte> Data, string PartitionKey);

/// <summary>One object a cut writes.</summary>
public sealed record PlannedObject(string Bucket, string Key, byte[] Body, int Records, long RawBytes, bool Delivery);

/// <summary>What a cut produces: the objects to PUT, and the records for a non-S3 destination.</summary>
public sealed class BuiltCut
{
    public List<PlannedObject> Objects { get; } = [];

    /// <summary>Records for an HTTP endpoint or Redshift destination (transformed, in order), with their source.</summary>
    public List<(BufferedRecord Record, SourceItem Source)> ForDestination { get; } = [];
}

/// <summary>
/// Turns the records of one cut into objects: RecordDeAggregation → Lambda transform → dynamic partitioning →
/// AppendDelimiterToRecord → one object per partition, plus processing-failed / partitioning-failed error objects
/// and the source-record backup. Everything here is a function of the records and the batch identity, so a re-cut
/// after a crash yields the same keys.
/// </summary>
internal sealed class BatchBuilder(IRecordTransformer? transformer, TimeProvider clock, ILogger logger)
{
    public const string ProcessingFailed = "processing-failed";

    /// <summary>Sluice's name for records whose partition keys could not be extracted (AWS does not document one).</summary>
    public const string PartitioningFailed = "partitioning-failed";

    public const string HttpEndpointFailed = "http-endpoint-failed";

    public async Task<BuiltCut> BuildAsync(DeliveryPlan plan, string versionId, string shardId, string identity, List<SourceItem> items, CancellationToken ct)
    {
        var stream = plan.Stream;
        var cut = new BuiltCut();
        if (plan.SourceBackup is { } backup)
        {
            var parts = new List<ReadOnlyMemory<byte>>(items.Count);
            long bytes = 0;
            foreach (var item in items)
            {
                parts.Add(item.Data);
                bytes += item.Data.Length;
            }

            cut.Objects.Add(MakeObject(backup, backup.Prefix, stream.Name, versionId, identity + "/backup", items[0].ApproximateArrival, null, null, null, parts, bytes, items.Count, false));
        }

        // RecordDeAggregation: each sub-record keeps its source record's position.
        var split = new List<(SourceItem Source, ReadOnlyMemory<byte> Data)>(items.Count);
        var pieces = new List<ReadOnlyMemory<byte>>();
        foreach (var item in items)
        {
            if (plan.DeAggregation is null)
            {
                split.Add((item, item.Data));
                continue;
            }

            pieces.Clear();
            RecordSplitter.Split(plan.DeAggregation, item.Data, pieces);
            foreach (var piece in pieces) split.Add((item, piece));
        }

        var transformed = await TransformAsync(plan, shardId, split, ct);

        var errors = new Dictionary<string, List<(TransformedRecord Record, string Code, string Message)>>(StringComparer.Ordinal);
        var partitions = new Dictionary<string, Partition>(StringComparer.Ordinal);
        var order = new List<string>();
        var query = plan.DynamicPartitioning && !string.IsNullOrEmpty(plan.MetadataExtractionQuery) ? JqQuery.Parse(plan.MetadataExtractionQuery) : null;
        for (var i = 0; i < transformed.Count; i++)
        {
            var record = transformed[i];
            if (record.Result == TransformResult.Dropped) continue;
            if (record.Result == TransformResult.ProcessingFailed)
            {
                AddError(errors, ProcessingFailed, record, record.ErrorCode ?? "Lambda.ProcessingFailed", record.ErrorMessage ?? "The record was marked ProcessingFailed.");
                continue;
            }

            if (plan.Objects is null)
            {
                cut.ForDestination.Add((new BufferedRecord(record.Data, record.Source.ApproximateArrivalTimestamp, Sequence(record), SubSequence(record)), split[i].Source));
                continue;
            }

            string partitionId = "";
            Dictionary<string, string>? queryKeys = null;
            if (plan.DynamicPartitioning)
            {
                if (query is not null && !query.TryEvaluate(record.Data, out queryKeys, out var error))
                {
                    AddError(errors, PartitioningFailed, record, "DynamicPartitioning.MetadataExtractionFailed", error);
                    continue;
                }

                partitionId = PartitionId(queryKeys, record.PartitionKeys);
            }

            if (!partitions.TryGetValue(partitionId, out var partition))
            {
                partition = new Partition(queryKeys, record.PartitionKeys);
                try
                {
                    // A prefix naming a key this record does not have fails here, once per partition.
                    ObjectKeys.EvaluatePrefix(plan.Objects.Prefix, new ObjectKeys.Context(record.Source.ApproximateArrivalTimestamp, plan.Objects.TimeZone, identity, null, queryKeys, record.PartitionKeys));
                }
                catch (FormatException e)
                {
                    partition.Error = e.Message;
                }

                partitions[partitionId] = partition;
                order.Add(partitionId);
            }

            if (partition.Error is not null)
            {
                AddError(errors, PartitioningFailed, record, "DynamicPartitioning.PartitionKeyMissing", partition.Error);
                continue;
            }

            partition.Add(record, plan.AppendDelimiter);
            cut.ForDestination.Add((new BufferedRecord(record.Data, record.Source.ApproximateArrivalTimestamp, Sequence(record), SubSequence(record)), split[i].Source));
        }

        if (plan.Objects is { } target)
        {
            // Records for Redshift staging / S3 are in objects; only Redshift also needs them as a batch.
            if (stream.Destination == DestinationKind.ExtendedS3) cut.ForDestination.Clear();
            foreach (var id in order)
            {
                var p = partitions[id];
                if (p.Parts.Count == 0) continue;
                cut.Objects.Add(MakeObject(target, target.Prefix, stream.Name, versionId, identity + "/p/" + id, p.Oldest, null, p.QueryKeys, p.LambdaKeys, p.Parts, p.Bytes, p.Records, true));
            }
        }
        else if (plan.AllDataBackup is { } all && cut.ForDestination.Count > 0)
        {
            var parts = new List<ReadOnlyMemory<byte>>(cut.ForDestination.Count);
            long bytes = 0;
            foreach (var (r, _) in cut.ForDestination)
            {
                parts.Add(r.Data);
                bytes += r.Data.Length;
            }

            cut.Objects.Add(MakeObject(all, all.Prefix, stream.Name, versionId, identity + "/all", cut.ForDestination[0].Record.ApproximateArrivalTimestamp, null, null, null, parts, bytes, parts.Count, false));
        }

        if (errors.Count > 0)
        {
            if (plan.Errors is { } errorTarget)
            {
                foreach (var (type, failed) in errors)
                {
                    var lines = ErrorLines(failed.Select(f => (f.Record.Source.ApproximateArrivalTimestamp, f.Record.Source.Data, f.Record.AttemptsMade, f.Code, f.Message, f.Record.LambdaArn)).ToList(), clock);
                    cut.Objects.Add(MakeObject(errorTarget, errorTarget.ErrorPrefix, stream.Name, versionId, identity + "/e/" + type, failed[0].Record.Source.ApproximateArrivalTimestamp, type, null, null, [lines], lines.Length, failed.Count, false));
                }
            }
            else
            {
                logger.LogWarning("{Stream}: {Count} failed records have no S3 error output configured", stream.Name, errors.Values.Sum(e => e.Count));
            }
        }

        return cut;
    }

    /// <summary>The error objects of a batch a non-S3 destination gave up on (<c>http-endpoint-failed</c>).</summary>
    public PlannedObject FailedDelivery(DeliveryPlan plan, S3Target target, string versionId, string identity, string type, BuiltCut cut, DeliveryOutcome outcome)
    {
        var lines = ErrorLines(cut.ForDestination.Select(r => (r.Record.ApproximateArrivalTimestamp, r.Record.Data, outcome.AttemptsMade, outcome.ErrorCode ?? "HttpEndpoint.DestinationError", outcome.ErrorMessage ?? "Delivery failed.", (string?)null)).ToList(), clock);
        return MakeObject(target, target.ErrorPrefix, plan.Stream.Name, versionId, identity + "/e/" + type, cut.ForDestination[0].Record.ApproximateArrivalTimestamp, type, null, null, [lines], lines.Length, cut.ForDestination.Count, false);
    }

    private async Task<List<TransformedRecord>> TransformAsync(DeliveryPlan plan, string shardId, List<(SourceItem Source, ReadOnlyMemory<byte> Data)> split, CancellationToken ct)
    {
        var stream = plan.Stream;
        var sources = new List<SourceRecord>(split.Count);
        for (var i = 0; i < split.Count; i++)
        {
            var (s, data) = split[i];
            var kinesis = stream.Type == DeliveryStreamType.KinesisStreamAsSource
                ? new KinesisRecordMetadata(shardId, s.PartitionKey, s.SequenceNumber, s.SubsequenceNumber, s.ApproximateArrival)
                : null;
            sources.Add(new SourceRecord(RecordId(s, i), data, s.ApproximateArrival, kinesis));
        }

        var result = new List<TransformedRecord>(sources.Count);
        var processor = plan.HasLambda ? transformer?.FindProcessor(stream.DestinationConfiguration) : null;
        if (plan.HasLambda && processor is null)
        {
            logger.LogWarning("{Stream}: a Lambda processor is configured but no transform hook is available; records go to processing-failed", stream.Name);
            foreach (var s in sources) result.Add(new TransformedRecord(s, TransformResult.ProcessingFailed, s.Data, null, "Lambda.NotAvailable", "No transform hook is registered for the Lambda processor.", 1));
            return result;
        }

        if (processor is null || transformer is null)
        {
            foreach (var s in sources) result.Add(new TransformedRecord(s, TransformResult.Ok, s.Data, null));
            return result;
        }

        // The processor's buffer hint bounds each invocation (and Lambda's 6 MB payload limit).
        var limit = (long)Math.Min(processor.BufferSizeInMBs * 1024 * 1024, 6 * 1024 * 1024 * 3 / 4);
        var chunk = new List<SourceRecord>();
        long bytes = 0;
        foreach (var s in sources)
        {
            if (chunk.Count > 0 && bytes + s.Data.Length > limit)
            {
                result.AddRange(await transformer.TransformAsync(stream, processor, chunk, ct));
                chunk = [];
                bytes = 0;
            }

            chunk.Add(s);
            bytes += s.Data.Length;
        }

        if (chunk.Count > 0) result.AddRange(await transformer.TransformAsync(stream, processor, chunk, ct));
        return result;
    }

    private static byte[] ErrorLines(List<(DateTimeOffset Arrival, ReadOnlyMemory<byte> Raw, int Attempts, string Code, string Message, string? LambdaArn)> failed, TimeProvider clock)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * failed.Count);
        var ending = clock.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var f in failed)
        {
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteNumber("attemptsMade", f.Attempts);
                json.WriteNumber("arrivalTimestamp", f.Arrival.ToUnixTimeMilliseconds());
                json.WriteString("errorCode", f.Code);
                json.WriteString("errorMessage", f.Message);
                json.WriteNumber("attemptEndingTimestamp", ending);
                json.WriteBase64String("rawData", f.Raw.Span);
                if (f.LambdaArn is not null) json.WriteString("lambdaArn", f.LambdaArn);
                json.WriteEndObject();
            }

            buffer.Write("\n"u8);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static PlannedObject MakeObject(
        S3Target target, string? prefix, string name, string versionId, string identity, DateTimeOffset oldest, string? errorType,
        IReadOnlyDictionary<string, string>? queryKeys, IReadOnlyDictionary<string, string>? lambdaKeys, IReadOnlyList<ReadOnlyMemory<byte>> parts, long bytes, int records, bool delivery)
    {
        var context = new ObjectKeys.Context(oldest, target.TimeZone, identity, errorType, queryKeys, lambdaKeys);
        var key = ObjectKeys.ObjectKey(prefix, name, versionId, target.FileExtension, context);
        var entry = key[(key.LastIndexOf('/') + 1)..];
        if (entry.EndsWith(".zip", StringComparison.Ordinal)) entry = entry[..^4];
        var body = ObjectCompression.Compress(target.Compression, parts, bytes, entry.Length == 0 ? "data" : entry, oldest);
        return new PlannedObject(target.Bucket, key, body, records, bytes, delivery);
    }

    private static void AddError(Dictionary<string, List<(TransformedRecord, string, string)>> errors, string type, TransformedRecord record, string code, string message)
    {
        if (!errors.TryGetValue(type, out var list)) errors[type] = list = [];
        list.Add((record, code, message));
    }

    private static string PartitionId(Dictionary<string, string>? query, IReadOnlyDictionary<string, string>? lambda)
    {
        var id = new StringBuilder();
        Append(id, 'q', query);
        Append(id, 'l', lambda);
        return id.ToString();

        static void Append(StringBuilder id, char kind, IReadOnlyDictionary<string, string>? keys)
        {
            if (keys is null) return;
            foreach (var k in keys.Keys.Order(StringComparer.Ordinal)) id.Append(kind).Append(k).Append('=').Append(keys[k]).Append('\u0001');
        }
    }

    private static string RecordId(SourceItem s, int index) => $"{s.SequenceNumber}-{s.SubsequenceNumber}-{index}";

    private static string Sequence(TransformedRecord r) => r.Source.RecordId[..r.Source.RecordId.IndexOf('-')];

    private static long SubSequence(TransformedRecord r)
    {
        var id = r.Source.RecordId;
        var a = id.IndexOf('-') + 1;
        return long.Parse(id.AsSpan(a, id.IndexOf('-', a) - a), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The records of one dynamic partition, with the keys that name it.</summary>
    private sealed class Partition(IReadOnlyDictionary<string, string>? queryKeys, IReadOnlyDictionary<string, string>? lambdaKeys)
    {
        public IReadOnlyDictionary<string, string>? QueryKeys => queryKeys;

        public IReadOnlyDictionary<string, string>? LambdaKeys => lambdaKeys;

        public List<ReadOnlyMemory<byte>> Parts { get; } = [];

        public long Bytes { get; private set; }

        public int Records { get; private set; }

        public DateTimeOffset Oldest { get; private set; } = DateTimeOffset.MaxValue;

        public string? Error { get; set; }

        public void Add(TransformedRecord record, byte[]? delimiter)
        {
            Parts.Add(record.Data);
            Bytes += record.Data.Length;
            if (delimiter is not null)
            {
                Parts.Add(delimiter);
                Bytes += delimiter.Length;
            }

            Records++;
            if (record.Source.ApproximateArrivalTimestamp < Oldest) Oldest = record.Source.ApproximateArrivalTimestamp;
        }
    }
}
