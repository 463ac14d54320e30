using Microsoft.AspNetCore.Routing;
using Sluice.AwsProtocol;
using Sluice.Grpc;
using Sluice.Streams.Api;
using Sluice.Streams.Client;

namespace Sluice.Streams.Grpc;

/// <summary>
/// The Streams service's gRPC data plane (contract: proto/sluice/streams/v1/streams.proto): one file per call, over the
/// same domain as the Kinesis API. Domain errors become gRPC statuses with the domain's message.
/// </summary>
public static class StreamsGrpc
{
    public static IEndpointRouteBuilder MapStreamsGrpc(this IEndpointRouteBuilder app, StreamsContext ctx)
    {
        app.MapGrpcUnary(StreamsMethods.PutRecords, Guard<V1.PutRecordsRequest, V1.PutRecordsResponse>((r, c) => PutRecords.HandleAsync(ctx, r, c.CancellationToken)));
        app.MapGrpcUnary(StreamsMethods.GetRecords, Guard<V1.GetRecordsRequest, V1.GetRecordsResponse>((r, c) => GetRecords.HandleAsync(ctx, r, c.CancellationToken)));
        app.MapGrpcServerStreaming(StreamsMethods.Subscribe, async (r, stream, c) =>
        {
            try
            {
                await Subscribe.HandleAsync(ctx, r, stream, c.CancellationToken);
            }
            catch (AwsException e)
            {
                throw ToRpc(e);
            }
        });
        app.MapGrpcUnary(StreamsMethods.ListShards, Guard<V1.ListShardsRequest, V1.ListShardsResponse>((r, _) => Task.FromResult(ListShards.Handle(ctx, r))));
        app.MapGrpcUnary(StreamsMethods.DescribeStream, Guard<V1.DescribeStreamRequest, V1.DescribeStreamResponse>((r, _) => Task.FromResult(DescribeStream.Handle(ctx, r))));
        app.MapGrpcUnary(StreamsMethods.CreateStream, Guard<V1.CreateStreamRequest, V1.DescribeStreamResponse>((r, c) => CreateStream.HandleAsync(ctx, r, c.CancellationToken)));
        app.MapGrpcUnary(StreamsMethods.DeleteStream, Guard<V1.DeleteStreamRequest, V1.DeleteStreamResponse>((r, c) => DeleteStream.HandleAsync(ctx, r, c.CancellationToken)));
        app.MapGrpcUnary(StreamsMethods.TakeLeases, Guard<V1.TakeLeasesRequest, V1.TakeLeasesResponse>((r, c) => TakeLeases.HandleAsync(ctx, r, c.CancellationToken)));
        app.MapGrpcUnary(StreamsMethods.RenewLease, Guard<V1.RenewLeaseRequest, V1.Lease>((r, c) => RenewLease.HandleAsync(ctx, r, c.CancellationToken)));
        app.MapGrpcUnary(StreamsMethods.Checkpoint, Guard<V1.CheckpointRequest, V1.Lease>((r, c) => Checkpoint.HandleAsync(ctx, r, c.CancellationToken)));
        app.MapGrpcUnary(StreamsMethods.ReleaseLease, Guard<V1.ReleaseLeaseRequest, V1.ReleaseLeaseResponse>((r, c) => ReleaseLease.HandleAsync(ctx, r, c.CancellationToken)));
        app.MapGrpcUnary(StreamsMethods.ListLeases, Guard<V1.ListLeasesRequest, V1.ListLeasesResponse>((r, c) => ListLeases.HandleAsync(ctx, r, c.CancellationToken)));
        return app;
    }

    private static UnaryServerMethod<TRequest, TResponse> Guard<TRequest, TResponse>(Func<TRequest, ServerCallContext, Task<TResponse>> handler) =>
        async (request, call) =>
        {
            try
            {
                return await handler(request, call);
            }
            catch (AwsException e)
            {
                throw ToRpc(e);
            }
        };

    /// <summary>The gRPC status a Kinesis error maps to; the message is kept as the status detail.</summary>
    public static RpcException ToRpc(AwsException e)
    {
        var code = e.Type switch
        {
            "ResourceNotFoundException" => StatusCode.NotFound,
            "InvalidArgumentException" or "ValidationException" or "SerializationException" or "ExpiredIteratorException" => StatusCode.InvalidArgument,
            "ResourceInUseException" => StatusCode.FailedPrecondition,
            "LimitExceededException" or "ProvisionedThroughputExceededException" => StatusCode.ResourceExhausted,
            _ => StatusCode.Internal,
        };
        return new RpcException(new Status(code, e.AwsMessage ?? e.Type));
    }

    /// <summary>INVALID_ARGUMENT naming the field.</summary>
    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    public static string Required(string value, string field) =>
        string.IsNullOrEmpty(value) ? throw Invalid($"{field} is required.") : value;
}
