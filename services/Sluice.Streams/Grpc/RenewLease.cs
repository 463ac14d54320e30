using Sluice.Streams.Api;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>RenewLease: extends a lease the worker still holds.</summary>
internal static class RenewLease
{
    public static async Task<Lease> HandleAsync(StreamsContext ctx, RenewLeaseRequest request, CancellationToken ct)
    {
        var stream = LeaseCalls.Stream(ctx, request.StreamName, request.ConsumerGroup, request.WorkerId);
        var expires = ctx.Catalog.NowMs + LeaseCalls.Duration(request.LeaseDurationMs);
        var lease = await ctx.LeaseStore.RenewAsync(stream.Id, request.ConsumerGroup, request.ShardId, request.WorkerId, request.LeaseCounter, expires, ct)
            ?? throw LeaseCalls.Lost(request.ConsumerGroup, request.ShardId, request.WorkerId, request.LeaseCounter);
        return LeaseCalls.ToLease(lease);
    }
}
