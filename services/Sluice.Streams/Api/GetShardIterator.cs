using System.Globalization;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Catalog;
using Sluice.Streams.Shards;

namespace Sluice.Streams.Api;

/// <summary>GetShardIterator: a five-minute position in a shard of any of the five iterator types.</summary>
internal static class GetShardIterator
{
    public static AwsOperation Operation(StreamsContext ctx) => new("GetShardIterator",
        Input.StreamScoped()
            .Required("ShardId", Input.ShardId)
            .Required("ShardIteratorType", new StringShape { Enum = ["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"] })
            .Optional("StartingSequenceNumber", Input.SequenceNumber)
            .Optional("Timestamp", new TimestampShape()),
        async (req, w, ct) =>
        {
            var body = req.Body;
            var catalog = ctx.Catalog;
            var type = body.Str("ShardIteratorType")!;
            var sequence = body.Str("StartingSequenceNumber");
            if (type is "AT_SEQUENCE_NUMBER" or "AFTER_SEQUENCE_NUMBER" ? sequence is null : sequence is not null)
            {
                throw AwsException.InvalidArgument(
                    "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or " +
                    $"(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified {type} and {(sequence is null ? "no" : "also a")} StartingSequenceNumber.");
            }

            var stream = catalog.Stream(body);
            var shardId = body.Str("ShardId")!;
            var shard = FindShard(catalog, stream, shardId);
            if (catalog.StatusOf(stream) == StreamStatus.CREATING) throw AwsException.NotFound(catalog.Arns.NotFound(stream.Name));

            var position = await StartingPositions.IndexAsync(ctx, stream, shard, type, sequence, body.Time("Timestamp"), "GetShardIterator", ct);

            w.WriteString("ShardIterator", ctx.Iterators.Encode(new ShardIteratorPosition(stream.Name, stream.CreatedMs, shard.Index, position, catalog.NowMs)));
        });

    /// <summary>A listed shard by id; a bare number ("1") is read as shardId-000000000001, as kinesalite and AWS do.</summary>
    public static ShardState FindShard(StreamCatalog catalog, StreamState stream, string shardId)
    {
        var normalized = shardId;
        var digits = shardId.StartsWith("shardId-", StringComparison.Ordinal) ? shardId[8..] : shardId;
        if (digits.Length is > 0 and <= 12 && int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) normalized = ShardState.FormatId(index);
        var shard = stream.FindShard(normalized);
        if (shard is null || !ShardOutput.Listed(stream, catalog.NowMs).Contains(shard))
        {
            throw AwsException.NotFound($"Shard {shardId} in stream {stream.Name} under account {catalog.Arns.Account} does not exist");
        }

        return shard;
    }
}
