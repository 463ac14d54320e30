using Sluice.Streams.Api;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>ReleaseLease: gives a held lease up so another worker takes it at once (a clean shutdown).</summary>
internal static class ReleaseLease
{
    public static async Task<ReleaseLeaseResponse> HandleAsync(StreamsContext ctx, ReleaseLeaseRequest request, CancellationToken ct)
    {
        var stream = LeaseCalls.Stream(ctx, request.StreamName, request.ConsumerGroup, request.WorkerId);
        if (!await ctx.LeaseStore.ReleaseAsync(stream.Id, request.ConsumerGroup, request.ShardId, request.WorkerId, request.LeaseCounter, ct))
        {
            throw LeaseCalls.Lost(request.ConsumerGroup, request.ShardId, request.WorkerId, request.LeaseCounter);
        }

        return new ReleaseLeaseResponse();
    }
}
