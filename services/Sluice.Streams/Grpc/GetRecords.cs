using Sluice.Streams.Api;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>GetRecords: records of one shard from a position, once, with where to read on and the children at a closed shard's end.</summary>
internal static class GetRecords
{
    private const int MaxResponseBytes = 4 * 1024 * 1024 - 64 * 1024; // under gRPC's default 4 MiB message limit

    public static async Task<GetRecordsResponse> HandleAsync(StreamsContext ctx, GetRecordsRequest request, CancellationToken ct)
    {
        var (stream, shard) = ShardReads.Find(ctx, request.StreamName, request.ShardId);
        if (request.Limit is < 0 or > 10000) throw StreamsGrpc.Invalid($"limit must be 1 to 10000, not {request.Limit}.");
        var limit = request.Limit == 0 ? 10000 : request.Limit;
        var from = await ShardReads.StartIndexAsync(ctx, stream, shard, request.Position, ct);
        var end = shard.EndRecordIndex;
        var tip = end ?? await ctx.Store.NextRecordIndexAsync(stream.Id, shard.Index, ct);
        var now = ctx.Catalog.NowMs;
        var records = from < tip
            ? await ctx.Store.ReadAsync(stream.Id, shard.Index, from, now - (stream.RetentionHours * 3_600_000L), limit, MaxResponseBytes, ct)
            : [];

        // Nothing readable below the tip means everything there has expired: move to the tip.
        var next = records.Count > 0 ? records[^1].Index + 1 : Math.Max(from, tip);
        var response = new GetRecordsResponse { MillisBehindLatest = ShardReads.MillisBehind(records, next, tip, now) };
        foreach (var r in records) response.Records.Add(ShardReads.ToRecord(shard, r));
        if (end is not null && next >= end)
        {
            response.ShardEnd = true;
            ShardReads.AddChildren(response.ChildShards, stream, shard);
        }
        else
        {
            response.ContinuationSequenceNumber = ShardReads.Continuation(shard, next, now);
        }

        return response;
    }
}
