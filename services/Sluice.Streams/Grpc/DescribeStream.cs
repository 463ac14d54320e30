using Sluice.Streams.Api;
using Sluice.Streams.Catalog;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>DescribeStream: a stream's status, retention and shards (all of them, unpaged).</summary>
internal static class DescribeStream
{
    public static DescribeStreamResponse Handle(StreamsContext ctx, DescribeStreamRequest request)
    {
        var catalog = ctx.Catalog;
        var stream = catalog.Get(StreamsGrpc.Required(request.StreamName, "stream_name"));
        var status = catalog.StatusOf(stream);
        var response = new DescribeStreamResponse
        {
            StreamName = stream.Name,
            StreamArn = catalog.Arns.Stream(stream.Name),
            Status = status.ToString(),
            RetentionPeriodHours = stream.RetentionHours,
            CreatedMs = stream.CreatedMs,
        };
        if (status != StreamStatus.CREATING)
        {
            foreach (var shard in ShardOutput.Listed(stream, catalog.NowMs)) response.Shards.Add(ShardReads.ToShard(shard));
        }

        return response;
    }
}
