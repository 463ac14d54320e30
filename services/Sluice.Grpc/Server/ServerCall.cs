using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Sluice.Grpc;

/// <summary>
/// One gRPC call on Kestrel: reads the request message, runs the handler under the deadline and the client's
/// cancellation, writes response messages and ends with grpc-status in trailers (or in headers when no message was sent).
/// </summary>
internal sealed class ServerCall<TRequest, TResponse> : ServerCallContext, IServerStreamWriter<TResponse>
{
    private readonly HttpContext _http;
    private readonly Method<TRequest, TResponse> _method;
    private readonly GrpcServerOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private CancellationTokenSource? _deadline;
    private CancellationTokenSource? _cancellation;
    private CancellationToken _cancellationToken;
    private Metadata? _requestHeaders;
    private Metadata? _responseTrailers;
    private bool _gzipResponse;
    private bool _messageWritten;
    private bool _completed;

    private ServerCall(HttpContext http, Method<TRequest, TResponse> method, GrpcServerOptions options)
    {
        _http = http;
        _method = method;
        _options = options;
    }

    public override string Method => _method.FullName;

    public override DateTime Deadline { get; } = DateTime.MaxValue;

    public override CancellationToken CancellationToken => _cancellationToken;

    public override Metadata RequestHeaders => _requestHeaders ??= ReadRequestHeaders(_http.Request.Headers);

    public override Metadata ResponseTrailers => _responseTrailers ??= [];

    public override string Peer => FormatPeer(_http.Connection.RemoteIpAddress, _http.Connection.RemotePort);

    public override Status Status { get; set; } = Status.DefaultSuccess;

    /// <summary>Serves one call; <paramref name="invoke"/> runs the handler and writes its response.</summary>
    public static async Task HandleAsync(HttpContext http, Method<TRequest, TResponse> method, GrpcServerOptions options, ILogger logger, Func<TRequest, ServerCall<TRequest, TResponse>, Task> invoke)
    {
        if (!GrpcWire.IsGrpcContentType(http.Request.ContentType))
        {
            http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        if (!HttpProtocol.IsHttp2(http.Request.Protocol))
        {
            http.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            http.Response.Headers.Connection = "Upgrade";
            http.Response.Headers.Upgrade = "h2c";
            return;
        }

        var timeout = GrpcWire.ParseTimeout(http.Request.Headers[GrpcWire.Timeout]);
        var call = timeout is { } t ? new ServerCall<TRequest, TResponse>(http, method, options, DateTime.UtcNow + t) : new ServerCall<TRequest, TResponse>(http, method, options);
        await call.RunAsync(timeout, logger, invoke);
    }

    private ServerCall(HttpContext http, Method<TRequest, TResponse> method, GrpcServerOptions options, DateTime deadline)
        : this(http, method, options)
    {
        Deadline = deadline;
    }

    private async Task RunAsync(TimeSpan? timeout, ILogger logger, Func<TRequest, ServerCall<TRequest, TResponse>, Task> invoke)
    {
        var request = _http.Request;
        var response = _http.Response;
        response.ContentType = GrpcWire.ContentType;
        response.Headers[GrpcWire.AcceptEncoding] = GrpcWire.SupportedEncodings;

        string? encoding = request.Headers[GrpcWire.Encoding];
        if (encoding is not null && encoding != GrpcWire.Identity && encoding != GrpcWire.Gzip)
        {
            await CompleteAsync(new Status(StatusCode.Unimplemented, $"Unsupported grpc-encoding value '{encoding}'. Supported encodings: identity, gzip"), null);
            return;
        }

        if (_options.ResponseCompressionAlgorithm == GrpcWire.Gzip && GrpcWire.AcceptsGzip(request.Headers[GrpcWire.AcceptEncoding]))
        {
            _gzipResponse = true;
            response.Headers[GrpcWire.Encoding] = GrpcWire.Gzip;
        }

        // Our own receive limit applies, not Kestrel's request body limit.
        if (_http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodySize) bodySize.MaxRequestBodySize = null;

        TaskCompletionSource? deadlinePassed = null;
        _cancellationToken = _http.RequestAborted;
        if (timeout is { } t)
        {
            deadlinePassed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _deadline = new CancellationTokenSource(t);
            _deadline.Token.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), deadlinePassed);
            _cancellation = CancellationTokenSource.CreateLinkedTokenSource(_http.RequestAborted, _deadline.Token);
            _cancellationToken = _cancellation.Token;
        }

        Task? handler = null;
        try
        {
            var (read, message) = await MessageFraming.ReadMessageAsync(request.BodyReader, _method.RequestMarshaller, encoding == GrpcWire.Gzip, _options.MaxReceiveMessageSize, CancellationToken);
            if (!read) throw new RpcException(new Status(StatusCode.Internal, "The request carried no message."));
            handler = invoke(message, this);
            if (deadlinePassed is not null && !handler.IsCompleted && await Task.WhenAny(handler, deadlinePassed.Task) != handler)
            {
                // The handler overran the deadline: end the call now; its later writes are refused.
                _ = handler.ContinueWith(static h => _ = h.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                await CompleteAsync(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), null);
                return;
            }

            await handler;
            await CompleteAsync(Status, null);
        }
        catch (Exception e) when (_http.RequestAborted.IsCancellationRequested)
        {
            // The client cancelled or went away (RST_STREAM): nobody is left to tell.
            logger.LogDebug(e, "gRPC call {Method} cancelled by the client", Method);
        }
        catch (Exception) when (_deadline is { IsCancellationRequested: true })
        {
            await CompleteAsync(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), null);
        }
        catch (RpcException e)
        {
            await CompleteAsync(e.Status, e.Trailers);
        }
        catch (Exception e)
        {
            logger.LogError(e, "gRPC call {Method} failed", Method);
            var detail = _options.EnableDetailedErrors ? $"Exception was thrown by handler. {e.GetType().Name}: {e.Message}" : "Exception was thrown by handler.";
            await CompleteAsync(new Status(StatusCode.Unknown, detail), null);
        }
        finally
        {
            if (handler is null || handler.IsCompleted)
            {
                _cancellation?.Dispose();
                _deadline?.Dispose();
            }
        }
    }

    public async Task WriteAsync(TResponse message)
    {
        await _writeLock.WaitAsync(CancellationToken);
        try
        {
            if (_completed) throw new InvalidOperationException("The call is already complete; no more messages can be written.");
            MessageFraming.WriteMessage(_http.Response.BodyWriter, message, _method.ResponseMarshaller, _gzipResponse, _options.MaxSendMessageSize);
            _messageWritten = true;
            // A unary response goes out with the trailers; a streamed one is flushed message by message.
            if (_method.Type == MethodType.ServerStreaming) await _http.Response.BodyWriter.FlushAsync(CancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public override async Task WriteResponseHeadersAsync(Metadata responseHeaders)
    {
        await _writeLock.WaitAsync(CancellationToken);
        try
        {
            if (_http.Response.HasStarted) throw new InvalidOperationException("Response headers have already been sent.");
            foreach (var entry in responseHeaders) _http.Response.Headers.Append(entry.Key, entry.Value);
            await _http.Response.BodyWriter.FlushAsync(CancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task CompleteAsync(Status status, Metadata? trailers)
    {
        // Not cancellable: the status must go out even after the deadline fired.
        await _writeLock.WaitAsync(CancellationToken.None);
        try
        {
            if (_completed) return;
            _completed = true;
            var response = _http.Response;
            if (!_messageWritten && !response.HasStarted)
            {
                // Trailers-only response: the status travels in the headers and the stream ends with them.
                var headers = response.Headers;
                headers[GrpcWire.Status] = ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture);
                if (status.Detail.Length > 0) headers[GrpcWire.Message] = GrpcWire.EncodeMessage(status.Detail);
                if (_responseTrailers is not null) AppendTo(headers, _responseTrailers);
                if (trailers is not null && !ReferenceEquals(trailers, _responseTrailers)) AppendTo(headers, trailers);
                return;
            }

            response.AppendTrailer(GrpcWire.Status, ((int)status.StatusCode).ToString(CultureInfo.InvariantCulture));
            if (status.Detail.Length > 0) response.AppendTrailer(GrpcWire.Message, GrpcWire.EncodeMessage(status.Detail));
            if (_responseTrailers is not null)
            {
                foreach (var entry in _responseTrailers) response.AppendTrailer(entry.Key, entry.Value);
            }

            if (trailers is not null && !ReferenceEquals(trailers, _responseTrailers))
            {
                foreach (var entry in trailers) response.AppendTrailer(entry.Key, entry.Value);
            }

            await response.BodyWriter.FlushAsync(CancellationToken.None);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static void AppendTo(IHeaderDictionary headers, Metadata metadata)
    {
        foreach (var entry in metadata) headers.Append(entry.Key, entry.Value);
    }

    private static Metadata ReadRequestHeaders(IHeaderDictionary headers)
    {
        var metadata = new Metadata();
        foreach (var (name, values) in headers)
        {
            if (GrpcWire.IsReservedHeader(name)) continue;
            foreach (var value in values) GrpcWire.AddHeaderValue(metadata, name, value);
        }

        return metadata;
    }

    private static string FormatPeer(IPAddress? address, int port) => address switch
    {
        null => "unknown",
        { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } => $"ipv6:[{address}]:{port}",
        _ => $"ipv4:{address}:{port}",
    };
}
