using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Cbor;
using Sluice.AwsProtocol.EventStream;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Catalog;
using Sluice.Streams.Records;
using Sluice.Streams.Shards;
using Sluice.Streams.Subscriptions;

namespace Sluice.Streams.Api;

/// <summary>
/// SubscribeToShard: enhanced fan-out push over an <c>application/vnd.amazon.eventstream</c> response. Checks fail as
/// ordinary JSON errors; then an initial-response event, a SubscribeToShardEvent as soon as records commit (an empty one
/// at least every couple of seconds so the continuation moves), ChildShards at the shard's end, and a clean end after
/// the subscription's lifetime.
/// </summary>
internal static class SubscribeToShard
{
    private const int MaxEventRecords = 10000;

    // Two seconds of a shard's fan-out quota per event keeps frames far below the 24 MiB event-stream limit.
    private const int MaxEventBytes = 4 * 1024 * 1024;

    private static readonly EventStreamHeader[] InitialResponseJson = EventHeaders("initial-response", AwsJsonEndpoint.PlainJson);
    private static readonly EventStreamHeader[] InitialResponseCbor = EventHeaders("initial-response", AwsJsonEndpoint.CborContentType);
    private static readonly EventStreamHeader[] ShardEventJson = EventHeaders("SubscribeToShardEvent", AwsJsonEndpoint.PlainJson);
    private static readonly EventStreamHeader[] ShardEventCbor = EventHeaders("SubscribeToShardEvent", AwsJsonEndpoint.CborContentType);

    private static EventStreamHeader[] EventHeaders(string eventType, string contentType) =>
    [
        EventStreamHeader.String(":message-type", "event"),
        EventStreamHeader.String(":event-type", eventType),
        EventStreamHeader.String(":content-type", contentType),
    ];

    public static AwsOperation Operation(StreamsContext ctx) => new("SubscribeToShard",
        new StructureShape()
            .Required("ConsumerARN", Input.ConsumerArn)
            .Required("ShardId", Input.ShardId)
            .Required("StartingPosition", new StructureShape()
                .Required("Type", new StringShape { Enum = ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] })
                .Optional("SequenceNumber", Input.SequenceNumber)
                .Optional("Timestamp", new TimestampShape())),
        async (req, ct) =>
        {
            var catalog = ctx.Catalog;
            var (stream, consumer) = Consumers.Find(catalog, req.Body);
            var consumerArn = catalog.Arns.Consumer(stream.Name, consumer.Name, consumer.CreatedMs);
            var status = Consumers.StatusOf(consumer, catalog.NowMs);
            if (status != "ACTIVE")
            {
                throw AwsException.InUse($"Consumer {consumerArn} is not in ACTIVE state, instead in state {status}.");
            }

            var shard = GetShardIterator.FindShard(catalog, stream, req.Body.Str("ShardId")!);
            var start = await StartIndexAsync(ctx, stream, shard, req.Body.Member("StartingPosition")!.Value, ct);
            using var subscription = ctx.Subscriptions.Begin(consumerArn, shard.Index, $"{catalog.Arns.Account}:{stream.Name}:{shard.ShardId}:{consumer.Name}");
            try
            {
                await StreamAsync(ctx, req, stream, consumer, shard, start, subscription, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException && req.Http.Response.HasStarted)
            {
                // Past the headers an error can only travel as an event; the endpoint still logs it.
                await WriteExceptionAsync(req.Http.Response.BodyWriter, req, "InternalFailureException", "Internal Service Failure", ct);
                throw;
            }
        });

    private static async Task StreamAsync(StreamsContext ctx, AwsRequest req, StreamState stream, ConsumerState consumer, ShardState shard, long start, Subscription subscription, CancellationToken ct)
    {
        var catalog = ctx.Catalog;
        var response = req.Http.Response;
        response.StatusCode = 200;
        response.ContentType = EventStreamWriter.ContentType;
        var output = response.BodyWriter;
        WriteEvent(output, req.IsCbor ? InitialResponseCbor : InitialResponseJson, "{}"u8, req);
        await output.FlushAsync(ct);

        using var ended = CancellationTokenSource.CreateLinkedTokenSource(ct, subscription.Ended);
        var payload = new ArrayBufferWriter<byte>(64 * 1024);
        using var json = new Utf8JsonWriter(payload, new JsonWriterOptions { SkipValidation = true });
        var position = start;
        // Resuming AFTER_SEQUENCE_NUMBER from the continuation must land on `position`: the continuation names the record
        // just before it, or before any record the shard's StartingSequenceNumber (which StartIndexAsync reads as "from 0").
        var continuationIndex = start - 1;
        var continuation = ContinuationAt(shard, continuationIndex);
        if (continuationIndex >= 0)
        {
            // Name the record before the start by its real sequence number (its arrival second is part of it).
            var previous = await ctx.Store.ReadAsync(stream.Id, shard.Index, continuationIndex, 0, 1, int.MaxValue, ct);
            if (previous.Count == 1 && previous[0].Index == continuationIndex)
            {
                continuation = SequenceNumbers.Format(shard.CreatedSeconds, shard.Index, continuationIndex, previous[0].ArrivalMs / 1000);
            }
        }

        while (true)
        {
            if (catalog.Find(stream.Name) != stream || consumer.DeletedAtMs is not null)
            {
                subscription.End(SubscriptionEnd.ConsumerGone);
                break;
            }

            ShardRead read;
            try
            {
                read = await ctx.Tail.NextAsync(stream, shard, position, MaxEventRecords, MaxEventBytes, ctx.Subscriptions.EmptyEventInterval, ended.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                break;
            }

            var records = read.Records;
            position = read.NextIndex;
            var kms = stream.EncryptionType == "KMS";
            payload.ResetWrittenCount();
            json.Reset(payload);
            json.WriteStartObject();
            json.WriteStartArray("Records");
            for (var i = 0; i < records.Count; i++)
            {
                var r = records[i];
                continuation = SequenceNumbers.Format(shard.CreatedSeconds, shard.Index, r.Index, r.ArrivalMs / 1000);
                json.WriteStartObject();
                json.WriteString("SequenceNumber", continuation);
                json.WriteTimestamp("ApproximateArrivalTimestamp", r.ArrivalMs);
                json.WriteBase64String("Data", r.Data);
                json.WriteString("PartitionKey", r.PartitionKey);
                if (kms) json.WriteString("EncryptionType", "KMS");
                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (records.Count > 0)
            {
                continuationIndex = records[^1].Index;
            }
            else if (position - 1 > continuationIndex)
            {
                // Records that expired below the tip were skipped: the continuation moves past them too.
                continuationIndex = position - 1;
                continuation = ContinuationAt(shard, continuationIndex);
            }

            // At the shard's end there is nothing to continue from: clients see the null continuation and the children.
            if (!read.AtEnd) json.WriteString("ContinuationSequenceNumber", continuation);
            json.WriteNumber("MillisBehindLatest", position >= read.Tip || records.Count == 0 ? 0 : Math.Max(0, catalog.NowMs - records[^1].ArrivalMs));
            if (read.AtEnd) ShardOutput.WriteChildren(json, stream, shard);
            json.WriteEndObject();
            json.Flush();
            WriteEvent(output, req.IsCbor ? ShardEventCbor : ShardEventJson, payload.WrittenSpan, req);
            await output.FlushAsync(ct);
            if (read.AtEnd) return;
        }

        switch (subscription.Reason)
        {
            case SubscriptionEnd.TakenOver:
                await WriteExceptionAsync(output, req, "ResourceInUseException", "Another subscription to this shard by the same consumer took over.", ct);
                break;
            case SubscriptionEnd.ConsumerGone:
                await WriteExceptionAsync(output, req, "ResourceNotFoundException", $"Consumer {consumer.Name} under stream {stream.Name} under account {catalog.Arns.Account} not found.", ct);
                break;
        }
    }

    /// <summary>Frames one event; its payload is written as JSON and sent as CBOR when the request came as CBOR.</summary>
    private static void WriteEvent(PipeWriter output, EventStreamHeader[] headers, ReadOnlySpan<byte> json, AwsRequest req)
    {
        EventStreamWriter.Write(output, headers, req.IsCbor ? AwsCbor.FromJson(json, req.CborOutput) : json);
    }

    private static async Task WriteExceptionAsync(PipeWriter output, AwsRequest req, string type, string message, CancellationToken ct)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["message"] = message });
        EventStreamWriter.Write(output,
        [
            EventStreamHeader.String(":message-type", "exception"),
            EventStreamHeader.String(":exception-type", type),
            EventStreamHeader.String(":content-type", req.IsCbor ? AwsJsonEndpoint.CborContentType : AwsJsonEndpoint.PlainJson),
        ], req.IsCbor ? AwsCbor.FromJson(payload, req.CborOutput) : payload);
        await output.FlushAsync(ct);
    }

    /// <summary>A sequence number for index <paramref name="index"/> (-1: the shard's StartingSequenceNumber) when its record was not read.</summary>
    private static string ContinuationAt(ShardState shard, long index) =>
        SequenceNumbers.Format(shard.CreatedSeconds, shard.Index, Math.Max(0, index), shard.CreatedSeconds);

    /// <summary>The record index a StartingPosition names, with GetShardIterator's rules and messages.</summary>
    private static async Task<long> StartIndexAsync(StreamsContext ctx, StreamState stream, ShardState shard, JsonElement position, CancellationToken ct)
    {
        var type = position.Str("Type")!;
        var sequence = position.Str("SequenceNumber");
        if (type is "AT_SEQUENCE_NUMBER" or "AFTER_SEQUENCE_NUMBER" && sequence is null)
        {
            throw AwsException.InvalidArgument($"Must specify a SequenceNumber in StartingPosition of type {type}.");
        }

        // After the shard's StartingSequenceNumber (a continuation sent before any record) comes the first record.
        if (type == "AFTER_SEQUENCE_NUMBER" && SequenceNumbers.TryParse(sequence!, out var parsed) && parsed.ShardIndex == shard.Index
            && parsed.RecordIndex == 0 && parsed.RecordSeconds == shard.CreatedSeconds && parsed.ShardCreatedSeconds == shard.CreatedSeconds)
        {
            return 0;
        }

        return await StartingPositions.IndexAsync(ctx, stream, shard, type, sequence, position.Time("Timestamp"), "SubscribeToShard", ct);
    }
}
