using Sluice.Streams.Api;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>TakeLeases: adds leases for new shards, then takes this worker's fair share (free or expired leases first).</summary>
internal static class TakeLeases
{
    public static async Task<TakeLeasesResponse> HandleAsync(StreamsContext ctx, TakeLeasesRequest request, CancellationToken ct)
    {
        var stream = LeaseCalls.Stream(ctx, request.StreamName, request.ConsumerGroup, request.WorkerId);
        var duration = LeaseCalls.Duration(request.LeaseDurationMs);
        var shards = ShardOutput.Listed(stream, ctx.Catalog.NowMs).ToList();
        var taken = await ctx.Leases.TakeAsync(stream, shards, request.ConsumerGroup, request.WorkerId, duration, ct);
        var response = new TakeLeasesResponse { AvailableShards = taken.AvailableShards, LiveWorkers = taken.LiveWorkers };
        foreach (var lease in taken.Held) response.Leases.Add(LeaseCalls.ToLease(lease));
        return response;
    }
}
