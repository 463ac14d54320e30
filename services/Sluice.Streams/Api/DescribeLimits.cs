using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Streams.Api;

/// <summary>DescribeLimits: the account's shard limit and use, and the on-demand stream count.</summary>
internal static class DescribeLimits
{
    public const int OnDemandStreamLimit = 50;

    public static AwsOperation Operation(StreamsContext ctx) => new("DescribeLimits", new StructureShape(), (req, w, ct) =>
    {
        var catalog = ctx.Catalog;
        w.WriteNumber("ShardLimit", catalog.Settings.ShardLimit);
        w.WriteNumber("OpenShardCount", catalog.OpenShardCount());
        w.WriteNumber("OnDemandStreamCount", catalog.All().Count(s => s.Mode == "ON_DEMAND"));
        w.WriteNumber("OnDemandStreamCountLimit", OnDemandStreamLimit);
        return ValueTask.CompletedTask;
    });
}
