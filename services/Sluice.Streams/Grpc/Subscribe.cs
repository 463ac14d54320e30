using Sluice.AwsProtocol;
using Sluice.Grpc;
using Sluice.Streams.Api;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>
/// Subscribe: follows one shard from a position, pushing records as they are committed (the shard tail waits on the
/// shard's signal, no polling), an empty event after each quiet heartbeat, and a last event with the children at the shard's end.
/// </summary>
internal static class Subscribe
{
    private const int MaxEventBytes = 4 * 1024 * 1024 - 64 * 1024; // under gRPC's default 4 MiB message limit

    public static async Task HandleAsync(StreamsContext ctx, SubscribeRequest request, IServerStreamWriter<SubscribeEvent> events, CancellationToken ct)
    {
        var (stream, shard) = ShardReads.Find(ctx, request.StreamName, request.ShardId);
        if (request.MaxRecordsPerEvent is < 0 or > 10000) throw StreamsGrpc.Invalid($"max_records_per_event must be 1 to 10000, not {request.MaxRecordsPerEvent}.");
        if (request.HeartbeatMs != 0 && request.HeartbeatMs is < 100 or > 60000) throw StreamsGrpc.Invalid($"heartbeat_ms must be 100 to 60000, not {request.HeartbeatMs}.");
        var limit = request.MaxRecordsPerEvent == 0 ? 1000 : request.MaxRecordsPerEvent;
        var heartbeat = TimeSpan.FromMilliseconds(request.HeartbeatMs == 0 ? 5000 : request.HeartbeatMs);
        var index = await ShardReads.StartIndexAsync(ctx, stream, shard, request.Position, ct);

        while (true)
        {
            // A deleted (or re-created) stream ends the subscription.
            if (ctx.Catalog.Find(stream.Name) != stream) throw AwsException.NotFound(ctx.Catalog.Arns.NotFound(stream.Name));
            var read = await ctx.Tail.NextAsync(stream, shard, index, limit, MaxEventBytes, heartbeat, ct);
            var now = ctx.Catalog.NowMs;
            var push = new SubscribeEvent { MillisBehindLatest = ShardReads.MillisBehind(read.Records, read.NextIndex, read.Tip, now) };
            foreach (var r in read.Records) push.Records.Add(ShardReads.ToRecord(shard, r));
            index = read.NextIndex;
            if (read.AtEnd)
            {
                push.ShardEnd = true;
                ShardReads.AddChildren(push.ChildShards, stream, shard);
                await events.WriteAsync(push);
                return;
            }

            push.ContinuationSequenceNumber = ShardReads.Continuation(shard, index, now);
            await events.WriteAsync(push);
        }
    }
}
