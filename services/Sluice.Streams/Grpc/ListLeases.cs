using Sluice.Streams.Api;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>ListLeases: every lease of a group, held or not, with checkpoints.</summary>
internal static class ListLeases
{
    public static async Task<ListLeasesResponse> HandleAsync(StreamsContext ctx, ListLeasesRequest request, CancellationToken ct)
    {
        var stream = LeaseCalls.Stream(ctx, request.StreamName, request.ConsumerGroup, worker: null);
        var response = new ListLeasesResponse();
        foreach (var lease in await ctx.LeaseStore.ListAsync(stream.Id, request.ConsumerGroup, ct)) response.Leases.Add(LeaseCalls.ToLease(lease));
        return response;
    }
}
