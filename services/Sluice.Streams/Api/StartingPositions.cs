using Sluice.AwsProtocol;
using Sluice.Streams.Catalog;
using Sluice.Streams.Shards;

namespace Sluice.Streams.Api;

/// <summary>
/// Where a position type (TRIM_HORIZON, LATEST, AT_TIMESTAMP, AT/AFTER_SEQUENCE_NUMBER) starts in a shard, with AWS's
/// messages: the one rule GetShardIterator and SubscribeToShard share.
/// </summary>
internal static class StartingPositions
{
    /// <summary>The record index the position names; <paramref name="operation"/> is named in the invalid-sequence message.</summary>
    public static async Task<long> IndexAsync(
        StreamsContext ctx, StreamState stream, ShardState shard, string type, string? sequence, DateTimeOffset? timestamp, string operation, CancellationToken ct)
    {
        var catalog = ctx.Catalog;
        switch (type)
        {
            case "TRIM_HORIZON":
                return 0;
            case "LATEST":
                return shard.EndRecordIndex ?? await ctx.Store.NextRecordIndexAsync(stream.Id, shard.Index, ct);
            case "AT_TIMESTAMP":
                {
                    if (timestamp is null)
                    {
                        throw AwsException.InvalidArgument(
                            "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.");
                    }

                    var ms = timestamp.Value.ToUnixTimeMilliseconds();
                    var now = catalog.NowMs;
                    if (ms > now)
                    {
                        throw AwsException.InvalidArgument(
                            $"The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: {ms}, currentTimestampInMillis: {now}");
                    }

                    return await ctx.Store.FirstIndexAtOrAfterAsync(stream.Id, shard.Index, ms, ct)
                        ?? shard.EndRecordIndex ?? await ctx.Store.NextRecordIndexAsync(stream.Id, shard.Index, ct);
                }

            default:
                {
                    if (!SequenceNumbers.TryParse(sequence!, out var parsed) || stream.FindShard(parsed.ShardIndex) is not { } owner || owner.CreatedSeconds != parsed.ShardCreatedSeconds)
                    {
                        throw AwsException.InvalidArgument(
                            $"StartingSequenceNumber {sequence} used in {operation} on shard {shard.ShardId} in stream {stream.Name} under account {catalog.Arns.Account} is invalid.");
                    }

                    if (owner.Index != shard.Index)
                    {
                        throw AwsException.InvalidArgument($"Invalid StartingSequenceNumber. It encodes {owner.ShardId}, while it was used in a call to a shard with {shard.ShardId}");
                    }

                    if (parsed.RecordIndex == SequenceNumbers.EndIndex) return shard.EndRecordIndex ?? parsed.RecordIndex;
                    return type == "AT_SEQUENCE_NUMBER" ? parsed.RecordIndex : parsed.RecordIndex + 1;
                }
        }
    }
}
