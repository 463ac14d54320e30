using Polly;
using Polly.Retry;
using Sluice.Grpc;
using Sluice.Streams.V1;

namespace Sluice.Streams.Client;

/// <summary>
/// A connection to a Streams service's gRPC data plane (its --grpc-port): the producer's PutRecords, reads, subscriptions
/// and lease calls. Unary calls are retried with backoff while the server is UNAVAILABLE (e.g. restarting).
/// </summary>
public sealed class StreamsClient : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly CallInvoker _invoker;
    private readonly ResiliencePipeline _retry;

    public StreamsClient(string address, GrpcChannelOptions? options = null)
    {
        _channel = GrpcChannel.ForAddress(address, options);
        _invoker = _channel.CreateCallInvoker();
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RpcException>(e => e.StatusCode == StatusCode.Unavailable),
                MaxRetryAttempts = 5,
                Delay = TimeSpan.FromMilliseconds(100),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
    }

    /// <summary>Where the client sends its calls.</summary>
    public Uri Address => _channel.Address;

    /// <summary>Appends records (each a partition key and data) to the stream; the answer lines up with the input.</summary>
    public Task<PutRecordsResponse> PutRecordsAsync(string streamName, IEnumerable<(string PartitionKey, ReadOnlyMemory<byte> Data)> records, CancellationToken ct = default)
    {
        var request = new PutRecordsRequest { StreamName = streamName };
        foreach (var (key, data) in records) request.Records.Add(new PutRecordsEntry { PartitionKey = key, Data = Google.Protobuf.ByteString.CopyFrom(data.Span) });
        return PutRecordsAsync(request, ct);
    }

    public Task<PutRecordsResponse> PutRecordsAsync(PutRecordsRequest request, CancellationToken ct = default) => UnaryAsync(StreamsMethods.PutRecords, request, ct);

    public Task<GetRecordsResponse> GetRecordsAsync(GetRecordsRequest request, CancellationToken ct = default) => UnaryAsync(StreamsMethods.GetRecords, request, ct);

    public Task<ListShardsResponse> ListShardsAsync(string streamName, CancellationToken ct = default) =>
        UnaryAsync(StreamsMethods.ListShards, new ListShardsRequest { StreamName = streamName }, ct);

    public Task<DescribeStreamResponse> DescribeStreamAsync(string streamName, CancellationToken ct = default) =>
        UnaryAsync(StreamsMethods.DescribeStream, new DescribeStreamRequest { StreamName = streamName }, ct);

    /// <summary>Creates the stream unless it exists; answers its description either way.</summary>
    public Task<DescribeStreamResponse> CreateStreamAsync(string streamName, int shardCount, CancellationToken ct = default) =>
        UnaryAsync(StreamsMethods.CreateStream, new CreateStreamRequest { StreamName = streamName, ShardCount = shardCount }, ct);

    /// <summary>Deletes the stream with its records; a missing stream is not an error.</summary>
    public Task<DeleteStreamResponse> DeleteStreamAsync(string streamName, CancellationToken ct = default) =>
        UnaryAsync(StreamsMethods.DeleteStream, new DeleteStreamRequest { StreamName = streamName }, ct);

    /// <summary>Follows a shard; read events from <c>ResponseStream</c> until it ends or <paramref name="ct"/> is cancelled.</summary>
    public AsyncServerStreamingCall<SubscribeEvent> Subscribe(SubscribeRequest request, CancellationToken ct = default) =>
        _invoker.AsyncServerStreamingCall(StreamsMethods.Subscribe, request, new CallOptions(cancellationToken: ct));

    public Task<TakeLeasesResponse> TakeLeasesAsync(TakeLeasesRequest request, CancellationToken ct = default) => UnaryAsync(StreamsMethods.TakeLeases, request, ct);

    public Task<Lease> RenewLeaseAsync(RenewLeaseRequest request, CancellationToken ct = default) => UnaryAsync(StreamsMethods.RenewLease, request, ct);

    public Task<Lease> CheckpointAsync(CheckpointRequest request, CancellationToken ct = default) => UnaryAsync(StreamsMethods.Checkpoint, request, ct);

    public Task<ReleaseLeaseResponse> ReleaseLeaseAsync(ReleaseLeaseRequest request, CancellationToken ct = default) => UnaryAsync(StreamsMethods.ReleaseLease, request, ct);

    public Task<ListLeasesResponse> ListLeasesAsync(string streamName, string consumerGroup, CancellationToken ct = default) =>
        UnaryAsync(StreamsMethods.ListLeases, new ListLeasesRequest { StreamName = streamName, ConsumerGroup = consumerGroup }, ct);

    private Task<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CancellationToken ct) =>
        _retry.ExecuteAsync(static async (state, token) =>
        {
            using var call = state.Invoker.AsyncUnaryCall(state.Method, state.Request, new CallOptions(cancellationToken: token));
            return await call.ResponseAsync;
        }, (Invoker: _invoker, Method: method, Request: request), ct).AsTask();

    public void Dispose() => _channel.Dispose();
}
