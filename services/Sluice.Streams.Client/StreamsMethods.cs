using Sluice.Grpc;
using Sluice.Streams.V1;

namespace Sluice.Streams.Client;

/// <summary>The calls of the <c>sluice.streams.v1.Streams</c> service, for the server that maps them and the clients that make them.</summary>
public static class StreamsMethods
{
    public const string ServiceName = "sluice.streams.v1.Streams";

    public static readonly Method<PutRecordsRequest, PutRecordsResponse> PutRecords = Unary("PutRecords", PutRecordsRequest.Parser, PutRecordsResponse.Parser);

    public static readonly Method<GetRecordsRequest, GetRecordsResponse> GetRecords = Unary("GetRecords", GetRecordsRequest.Parser, GetRecordsResponse.Parser);

    public static readonly Method<SubscribeRequest, SubscribeEvent> Subscribe =
        new(MethodType.ServerStreaming, ServiceName, "Subscribe", Marshallers.Protobuf(SubscribeRequest.Parser), Marshallers.Protobuf(SubscribeEvent.Parser));

    public static readonly Method<ListShardsRequest, ListShardsResponse> ListShards = Unary("ListShards", ListShardsRequest.Parser, ListShardsResponse.Parser);

    public static readonly Method<DescribeStreamRequest, DescribeStreamResponse> DescribeStream = Unary("DescribeStream", DescribeStreamRequest.Parser, DescribeStreamResponse.Parser);

    public static readonly Method<CreateStreamRequest, DescribeStreamResponse> CreateStream = Unary("CreateStream", CreateStreamRequest.Parser, DescribeStreamResponse.Parser);

    public static readonly Method<DeleteStreamRequest, DeleteStreamResponse> DeleteStream = Unary("DeleteStream", DeleteStreamRequest.Parser, DeleteStreamResponse.Parser);

    public static readonly Method<TakeLeasesRequest, TakeLeasesResponse> TakeLeases = Unary("TakeLeases", TakeLeasesRequest.Parser, TakeLeasesResponse.Parser);

    public static readonly Method<RenewLeaseRequest, Lease> RenewLease = Unary("RenewLease", RenewLeaseRequest.Parser, Lease.Parser);

    public static readonly Method<CheckpointRequest, Lease> Checkpoint = Unary("Checkpoint", CheckpointRequest.Parser, Lease.Parser);

    public static readonly Method<ReleaseLeaseRequest, ReleaseLeaseResponse> ReleaseLease = Unary("ReleaseLease", ReleaseLeaseRequest.Parser, ReleaseLeaseResponse.Parser);

    public static readonly Method<ListLeasesRequest, ListLeasesResponse> ListLeases = Unary("ListLeases", ListLeasesRequest.Parser, ListLeasesResponse.Parser);

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name, Google.Protobuf.MessageParser<TRequest> request, Google.Protobuf.MessageParser<TResponse> response)
        where TRequest : Google.Protobuf.IMessage<TRequest>
        where TResponse : Google.Protobuf.IMessage<TResponse> =>
        new(MethodType.Unary, ServiceName, name, Marshallers.Protobuf(request), Marshallers.Protobuf(response));
}
