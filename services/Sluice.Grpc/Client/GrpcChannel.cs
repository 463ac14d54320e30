using System.Net;

namespace Sluice.Grpc;

/// <summary>Client settings: message size limits and request compression.</summary>
public sealed class GrpcChannelOptions
{
    /// <summary>Largest response message accepted, after decompression (default 4 MiB); larger ones fail the call with RESOURCE_EXHAUSTED.</summary>
    public int MaxReceiveMessageSize { get; set; } = GrpcWire.DefaultMaxReceiveMessageSize;

    /// <summary>Largest request message sent; null for no limit.</summary>
    public int? MaxSendMessageSize { get; set; }

    /// <summary><c>gzip</c> to compress request messages; null to send them uncompressed. Responses are accepted either way.</summary>
    public string? RequestCompressionAlgorithm { get; set; }

    /// <summary>A handler to send through instead of the channel's own <see cref="SocketsHttpHandler"/>; the channel does not dispose it.</summary>
    public HttpMessageHandler? HttpHandler { get; set; }
}

/// <summary>A connection pool to one gRPC server over cleartext HTTP/2 (prior knowledge) or TLS.</summary>
public sealed class GrpcChannel : IDisposable
{
    private GrpcChannel(Uri address, GrpcChannelOptions options)
    {
        if (options.RequestCompressionAlgorithm is { } algorithm && algorithm != GrpcWire.Gzip)
        {
            throw new ArgumentException($"Unsupported request compression '{algorithm}'; only gzip is supported.", nameof(options));
        }

        Address = address;
        Options = options;
        // Not HttpClient: it would buffer, and a call must see the response headers and each message as they arrive.
        Invoker = options.HttpHandler is { } handler
            ? new HttpMessageInvoker(handler, disposeHandler: false)
            : new HttpMessageInvoker(
                new SocketsHttpHandler
                {
                    EnableMultipleHttp2Connections = true,
                    AutomaticDecompression = DecompressionMethods.None,
                    UseProxy = false,
                    UseCookies = false,
                    ConnectTimeout = TimeSpan.FromSeconds(10),
                    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
                    KeepAlivePingDelay = TimeSpan.FromSeconds(60),
                    KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
                },
                disposeHandler: true);
    }

    public Uri Address { get; }

    public GrpcChannelOptions Options { get; }

    internal HttpMessageInvoker Invoker { get; }

    /// <summary>A channel to <paramref name="address"/>, e.g. <c>http://127.0.0.1:4569</c>.</summary>
    public static GrpcChannel ForAddress(string address, GrpcChannelOptions? options = null) => ForAddress(new Uri(address), options);

    public static GrpcChannel ForAddress(Uri address, GrpcChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"A gRPC address is http:// or https://, got '{address}'.", nameof(address));
        }

        return new GrpcChannel(address, options ?? new GrpcChannelOptions());
    }

    public CallInvoker CreateCallInvoker() => new(this);

    public void Dispose() => Invoker.Dispose();
}

/// <summary>Starts calls on a <see cref="GrpcChannel"/>.</summary>
public sealed class CallInvoker
{
    private readonly GrpcChannel _channel;

    internal CallInvoker(GrpcChannel channel) => _channel = channel;

    /// <summary>Sends one request and awaits one response; throws <see cref="RpcException"/> when the call ends with a non-OK status.</summary>
    public AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options)
    {
        var call = new ClientCall<TRequest, TResponse>(_channel, method, options, request);
        return new AsyncUnaryCall<TResponse>(call.ReadUnaryAsync(), call);
    }

    /// <summary>Sends one request and returns the stream of responses as they arrive.</summary>
    public AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options)
    {
        var call = new ClientCall<TRequest, TResponse>(_channel, method, options, request);
        return new AsyncServerStreamingCall<TResponse>(call, call);
    }
}

/// <summary>The state every client call exposes: response headers, and the status and trailers once it ended.</summary>
internal interface IClientCallState : IDisposable
{
    Task<Metadata> ResponseHeadersAsync { get; }

    Status GetStatus();

    Metadata GetTrailers();
}

/// <summary>A unary call in flight; await it (or <see cref="ResponseAsync"/>) for the response.</summary>
public sealed class AsyncUnaryCall<TResponse> : IDisposable
{
    private readonly IClientCallState _call;

    internal AsyncUnaryCall(Task<TResponse> responseAsync, IClientCallState call)
    {
        ResponseAsync = responseAsync;
        _call = call;
    }

    public Task<TResponse> ResponseAsync { get; }

    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;

    public static implicit operator Task<TResponse>(AsyncUnaryCall<TResponse> call) => call.ResponseAsync;

    public Task<TResponse> ToTask() => ResponseAsync;

    public System.Runtime.CompilerServices.TaskAwaiter<TResponse> GetAwaiter() => ResponseAsync.GetAwaiter();

    /// <summary>The final status; throws <see cref="InvalidOperationException"/> while the call is running.</summary>
    public Status GetStatus() => _call.GetStatus();

    public Metadata GetTrailers() => _call.GetTrailers();

    /// <summary>Cancels the call if it is still running and frees its connection stream.</summary>
    public void Dispose() => _call.Dispose();
}

/// <summary>A server-streaming call in flight: read <see cref="ResponseStream"/> until it returns false.</summary>
public sealed class AsyncServerStreamingCall<TResponse> : IDisposable
{
    private readonly IClientCallState _call;

    internal AsyncServerStreamingCall(IAsyncStreamReader<TResponse> responseStream, IClientCallState call)
    {
        ResponseStream = responseStream;
        _call = call;
    }

    public IAsyncStreamReader<TResponse> ResponseStream { get; }

    public Task<Metadata> ResponseHeadersAsync => _call.ResponseHeadersAsync;

    public Status GetStatus() => _call.GetStatus();

    public Metadata GetTrailers() => _call.GetTrailers();

    /// <summary>Cancels the call if it is still running (the server sees RST_STREAM) and frees its connection stream.</summary>
    public void Dispose() => _call.Dispose();
}
