using Sluice.Streams.Api;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>DeleteStream: the stream goes with its records and consumers; deleting a missing stream succeeds.</summary>
internal static class DeleteStream
{
    public static async Task<DeleteStreamResponse> HandleAsync(StreamsContext ctx, DeleteStreamRequest request, CancellationToken ct)
    {
        var name = StreamsGrpc.Required(request.StreamName, "stream_name");
        if (ctx.Catalog.Find(name) is { } stream && ctx.Catalog.StatusOf(stream) != Catalog.StreamStatus.DELETING)
        {
            await ctx.Catalog.DeleteAsync(stream, enforceConsumerDeletion: true, ct);
        }

        return new DeleteStreamResponse();
    }
}
