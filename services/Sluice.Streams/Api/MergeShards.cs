using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Catalog;

namespace Sluice.Streams.Api;

/// <summary>MergeShards: two adjacent open shards close; one child covers both ranges.</summary>
internal static class MergeShards
{
    public static AwsOperation Operation(StreamsContext ctx) => new("MergeShards",
        Input.StreamScoped()
            .Required("ShardToMerge", Input.ShardId)
            .Required("AdjacentShardToMerge", Input.ShardId),
        async (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = catalog.Stream(req.Body);
            Resharding.RequireProvisioned(stream, "MergeShards");
            catalog.RequireActive(stream);
            var first = req.Body.Str("ShardToMerge")!;
            var second = req.Body.Str("AdjacentShardToMerge")!;
            await catalog.ReshardAsync(stream, s =>
            {
                var a = Resharding.OpenShard(catalog, s, first);
                var b = Resharding.OpenShard(catalog, s, second);
                var adjacent = a != b && ((a.EndHash != UInt128.MaxValue && a.EndHash + 1 == b.StartHash) || (b.EndHash != UInt128.MaxValue && b.EndHash + 1 == a.StartHash));
                if (!adjacent)
                {
                    throw AwsException.InvalidArgument($"Shards {first} and {second} in stream {s.Name} under account {catalog.Arns.Account} are not an adjacent pair of shards eligible for merging");
                }

                return new ReshardPlan([a, b], [([a, b], UInt128.Min(a.StartHash, b.StartHash), UInt128.Max(a.EndHash, b.EndHash))]);
            }, ct);
            Resharding.SignalClosed(ctx, stream);
        });
}
