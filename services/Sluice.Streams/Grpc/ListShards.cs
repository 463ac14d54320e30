using Sluice.Streams.Api;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>ListShards: every shard still within retention, with hash ranges, parents and whether it is open.</summary>
internal static class ListShards
{
    public static ListShardsResponse Handle(StreamsContext ctx, ListShardsRequest request)
    {
        var stream = ShardReads.ReadableStream(ctx, request.StreamName);
        var response = new ListShardsResponse();
        foreach (var shard in ShardOutput.Listed(stream, ctx.Catalog.NowMs)) response.Shards.Add(ShardReads.ToShard(shard));
        return response;
    }
}
