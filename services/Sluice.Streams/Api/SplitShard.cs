using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Catalog;
using Sluice.Streams.Shards;

namespace Sluice.Streams.Api;

/// <summary>SplitShard: the parent closes; two children take [start, key-1] and [key, end].</summary>
internal static class SplitShard
{
    public static AwsOperation Operation(StreamsContext ctx) => new("SplitShard",
        Input.StreamScoped()
            .Required("ShardToSplit", Input.ShardId)
            .Required("NewStartingHashKey", Input.HashKey),
        async (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = catalog.Stream(req.Body);
            Resharding.RequireProvisioned(stream, "SplitShard");
            catalog.RequireActive(stream);
            var shardId = req.Body.Str("ShardToSplit")!;
            var keyText = req.Body.Str("NewStartingHashKey")!;
            await catalog.ReshardAsync(stream, s =>
            {
                var parent = Resharding.OpenShard(catalog, s, shardId);
                if (!HashKeys.TryParse(keyText, out var key) || key <= parent.StartHash + 1 || key >= parent.EndHash)
                {
                    throw AwsException.InvalidArgument(
                        $"NewStartingHashKey {keyText} used in SplitShard() on shard {shardId} in stream {s.Name} under account {catalog.Arns.Account} " +
                        $"is not both greater than one plus the shard's StartingHashKey {HashKeys.Format(parent.StartHash)} and less than the shard's EndingHashKey {HashKeys.Format(parent.EndHash)}.");
                }

                return new ReshardPlan([parent], [([parent], parent.StartHash, key - 1), ([parent], key, parent.EndHash)]);
            }, ct);
            Resharding.SignalClosed(ctx, stream);
        });
}
