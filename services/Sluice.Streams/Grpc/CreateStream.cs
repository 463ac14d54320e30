using Sluice.AwsProtocol;
using Sluice.Streams.Api;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>CreateStream: a PROVISIONED stream for a service that owns it; an existing stream of that name is kept as it is.</summary>
internal static class CreateStream
{
    public static async Task<DescribeStreamResponse> HandleAsync(StreamsContext ctx, CreateStreamRequest request, CancellationToken ct)
    {
        var name = StreamsGrpc.Required(request.StreamName, "stream_name");
        if (request.ShardCount < 1) throw StreamsGrpc.Invalid($"shard_count must be at least 1, not {request.ShardCount}.");
        if (ctx.Catalog.Find(name) is null)
        {
            try
            {
                await ctx.Catalog.CreateAsync(name, request.ShardCount, "PROVISIONED", null, null, new Dictionary<string, string>(), ct);
            }
            catch (AwsException e) when (e.Type == "ResourceInUseException")
            {
                // Created concurrently by another caller: the stream exists, which is all that was asked.
            }
        }

        return DescribeStream.Handle(ctx, new DescribeStreamRequest { StreamName = name });
    }
}
