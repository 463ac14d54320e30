using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Catalog;
using Sluice.Streams.Shards;

namespace Sluice.Streams.Api;

/// <summary>
/// UpdateShardCount: every open shard closes and TargetShardCount children take even ranges; each child names the
/// (up to two) parents whose ranges it overlaps first. Within AWS's rules: half to double, ten times a day.
/// </summary>
internal static class UpdateShardCount
{
    private const int UpdatesPerDay = 10;

    public static AwsOperation Operation(StreamsContext ctx) => new("UpdateShardCount",
        Input.StreamScoped()
            .Required("TargetShardCount", new NumberShape(false) { Min = 1 })
            .Required("ScalingType", new StringShape { Enum = ["UNIFORM_SCALING"] }),
        async (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = catalog.Stream(req.Body);
            Resharding.RequireProvisioned(stream, "UpdateShardCount");
            catalog.RequireActive(stream);
            var target = req.Body.Int("TargetShardCount")!.Value;
            var current = stream.OpenShards.Length;
            if (target > current * 2)
            {
                throw AwsException.LimitExceeded($"UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: {current} Target shard count: {target}");
            }

            if (target * 2 < current)
            {
                throw AwsException.LimitExceeded($"UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: {current} Target shard count: {target}");
            }

            var now = catalog.NowMs;
            stream.ShardCountUpdatesMs.RemoveAll(t => t < now - 86_400_000);
            if (stream.ShardCountUpdatesMs.Count >= UpdatesPerDay)
            {
                throw AwsException.LimitExceeded($"Exceeded the number of allowed UpdateShardCount operations ({UpdatesPerDay}) in a rolling 24 hour period for stream {stream.Name} under account {catalog.Arns.Account}.");
            }

            if (target != current)
            {
                await catalog.ReshardAsync(stream, s =>
                {
                    s.ShardCountUpdatesMs.Add(now);
                    var open = s.OpenShards;
                    return new ReshardPlan(open, HashKeys.EvenRanges(target, 0, HashKeys.Max)
                        .Select(r => (open.Where(p => p.StartHash <= r.End && p.EndHash >= r.Start).Take(2).ToArray(), r.Start, r.End))
                        .ToList());
                }, ct);
                Resharding.SignalClosed(ctx, stream);
            }

            w.WriteString("StreamName", stream.Name);
            w.WriteNumber("CurrentShardCount", current);
            w.WriteNumber("TargetShardCount", target);
            w.WriteString("StreamARN", catalog.Arns.Stream(stream.Name));
        });
}
