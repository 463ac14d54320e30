using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;

namespace Sluice.Grpc;

/// <summary>
/// One client call over HTTP/2: sends the framed request with its metadata and grpc-timeout, reads response messages as
/// they arrive, and takes the status from the trailers (or from the headers of a trailers-only response).
/// </summary>
internal sealed class ClientCall<TRequest, TResponse> : IAsyncStreamReader<TResponse>, IClientCallState
{
    private const string UserAgent = "sluice-grpc-dotnet/1.0";

    private readonly GrpcChannel _channel;
    private readonly Method<TRequest, TResponse> _method;
    private readonly CallOptions _options;
    private readonly CancellationTokenSource _cancellation;
    private readonly CancellationTokenSource? _deadline;
    private readonly Lock _sync = new();
    private HttpRequestMessage? _request;
    private HttpResponseMessage? _response;
    private PipeReader? _reader;
    private bool _gzipResponse;
    private Status? _status;
    private Metadata? _trailers;
    private bool _finished;

    public ClientCall(GrpcChannel channel, Method<TRequest, TResponse> method, CallOptions options, TRequest request)
    {
        _channel = channel;
        _method = method;
        _options = options;
        TimeSpan? timeout = null;
        if (options.Deadline is { } deadline && deadline != DateTime.MaxValue)
        {
            timeout = deadline.ToUniversalTime() - DateTime.UtcNow;
            _deadline = new CancellationTokenSource(timeout.Value > TimeSpan.Zero ? timeout.Value : TimeSpan.Zero);
        }

        _cancellation = _deadline is null
            ? CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken)
            : CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken, _deadline.Token);
        // A stream with no read pending only learns of a cancellation when its response is disposed, which resets it (RST_STREAM).
        _cancellation.Token.Register(static c => ((ClientCall<TRequest, TResponse>)c!).AbortResponse(), this);
        ResponseHeadersAsync = StartAsync(request, timeout);
    }

    public Task<Metadata> ResponseHeadersAsync { get; }

    public TResponse Current { get; private set; } = default!;

    public Status GetStatus()
    {
        lock (_sync)
        {
            return _status ?? throw new InvalidOperationException("The call is still running; its status is not known yet.");
        }
    }

    public Metadata GetTrailers()
    {
        lock (_sync)
        {
            return _status is null ? throw new InvalidOperationException("The call is still running; its trailers are not known yet.") : _trailers ?? [];
        }
    }

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        await ResponseHeadersAsync;
        var ended = EndedStatus();
        if (ended is { } s)
        {
            // Ended before any message (trailers-only, or an earlier failure): nothing left to read.
            Release();
            if (s.StatusCode != StatusCode.OK) throw new RpcException(s, _trailers ?? []);
            return false;
        }

        // Cancelling one read cancels the call, as in Grpc.Net.Client: a half-read stream has no use.
        using var registration = cancellationToken.CanBeCanceled ? cancellationToken.Register(static c => ((ClientCall<TRequest, TResponse>)c!).Cancel(), this) : default;
        try
        {
            var (read, message) = await MessageFraming.ReadMessageAsync(_reader!, _method.ResponseMarshaller, _gzipResponse, _channel.Options.MaxReceiveMessageSize, _cancellation.Token);
            if (read)
            {
                Current = message;
                return true;
            }
        }
        catch (RpcException e)
        {
            var error = End(e.Status, null);
            Release(completeReader: true);
            throw error;
        }
        catch (Exception e)
        {
            var error = End(StatusOf(e), null);
            Release(completeReader: true);
            throw error;
        }

        var trailers = _response!.TrailingHeaders;
        var metadata = ToMetadata(trailers, null);
        var status = ReadStatus(trailers) ?? new Status(StatusCode.Internal, "No grpc-status found on response.");
        var ending = End(status, metadata);
        Release(completeReader: true);
        if (status.StatusCode != StatusCode.OK) throw ending;
        return false;
    }

    /// <summary>Reads exactly one response message and the OK status after it.</summary>
    public async Task<TResponse> ReadUnaryAsync()
    {
        try
        {
            if (!await MoveNext(CancellationToken.None))
            {
                throw End(new Status(StatusCode.Internal, "The server ended the unary call with OK but sent no response message."), null, force: true);
            }

            var response = Current;
            if (await MoveNext(CancellationToken.None))
            {
                throw End(new Status(StatusCode.Internal, "The server sent more than one response message to a unary call."), null, force: true);
            }

            return response;
        }
        finally
        {
            Release();
        }
    }

    public void Dispose()
    {
        End(new Status(StatusCode.Cancelled, "The call was disposed before it ended."), null);
        Release();
    }

    private async Task<Metadata> StartAsync(TRequest request, TimeSpan? timeout)
    {
        if (_deadline is { IsCancellationRequested: true } || timeout <= TimeSpan.Zero)
        {
            throw End(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"), null);
        }

        HttpResponseMessage response;
        try
        {
            _request = CreateRequest(request, timeout);
            response = await _channel.Invoker.SendAsync(_request, _cancellation.Token);
        }
        catch (RpcException e)
        {
            throw End(e.Status, null);
        }
        catch (Exception e)
        {
            throw End(StatusOf(e), null);
        }

        lock (_sync)
        {
            if (!_finished && !_cancellation.IsCancellationRequested) _response = response;
        }

        if (_response is null)
        {
            response.Dispose();
            throw End(StatusOf(new OperationCanceledException()), null);
        }

        var headers = ToMetadata(response.Headers, null);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            End(new Status(FromHttpStatus(response.StatusCode), $"Bad gRPC response. HTTP status code: {(int)response.StatusCode}"), headers);
            return headers;
        }

        if (ReadStatus(response.Headers) is { } trailersOnly)
        {
            End(trailersOnly, headers);
            return headers;
        }

        var contentType = response.Content.Headers.ContentType?.ToString();
        if (!GrpcWire.IsGrpcContentType(contentType))
        {
            End(new Status(StatusCode.Unknown, $"Bad gRPC response. Invalid content-type value: {contentType}"), headers);
            return headers;
        }

        if (response.Headers.TryGetValues(GrpcWire.Encoding, out var encodings))
        {
            var encoding = string.Join(",", encodings);
            if (encoding == GrpcWire.Gzip) _gzipResponse = true;
            else if (encoding != GrpcWire.Identity)
            {
                End(new Status(StatusCode.Internal, $"The server compressed with '{encoding}', which this client does not support."), headers);
                return headers;
            }
        }

        _reader = PipeReader.Create(await response.Content.ReadAsStreamAsync(_cancellation.Token), new StreamPipeReaderOptions(pool: MemoryPool<byte>.Shared, minimumReadSize: 16 * 1024));
        return headers;
    }

    private HttpRequestMessage CreateRequest(TRequest request, TimeSpan? timeout)
    {
        var gzip = _channel.Options.RequestCompressionAlgorithm == GrpcWire.Gzip;
        var marshaller = _method.RequestMarshaller;
        var body = new ArrayBufferWriter<byte>(marshaller.Size is { } size && !gzip ? MessageFraming.HeaderSize + size(request) : 256);
        MessageFraming.WriteMessage(body, request, marshaller, gzip, _channel.Options.MaxSendMessageSize);

        var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_channel.Address, _method.FullName))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ReadOnlyMemoryContent(body.WrittenMemory),
        };
        message.Content.Headers.TryAddWithoutValidation("content-type", GrpcWire.ContentType);
        var headers = message.Headers;
        headers.TryAddWithoutValidation("te", "trailers");
        headers.TryAddWithoutValidation("user-agent", UserAgent);
        headers.TryAddWithoutValidation(GrpcWire.AcceptEncoding, GrpcWire.SupportedEncodings);
        if (gzip) headers.TryAddWithoutValidation(GrpcWire.Encoding, GrpcWire.Gzip);
        if (timeout is { } t) headers.TryAddWithoutValidation(GrpcWire.Timeout, GrpcWire.FormatTimeout(t));
        if (_options.Headers is { } metadata)
        {
            foreach (var entry in metadata)
            {
                if (GrpcWire.IsReservedHeader(entry.Key)) continue;
                headers.TryAddWithoutValidation(entry.Key, entry.Value);
            }
        }

        return message;
    }

    /// <summary>Records how the call ended (first outcome wins) and returns the exception that reports it.</summary>
    private RpcException End(Status status, Metadata? trailers, bool force = false)
    {
        bool cancel;
        lock (_sync)
        {
            if (_status is null || force)
            {
                _status = status;
                _trailers = trailers ?? [];
            }

            cancel = _status.Value.StatusCode != StatusCode.OK && !_finished;
            status = _status.Value;
            trailers = _trailers;
        }

        // A call ended early by this side is reset (RST_STREAM), so the server stops working on it.
        if (cancel) Cancel();
        return new RpcException(status, trailers ?? []);
    }

    private Status? EndedStatus()
    {
        lock (_sync)
        {
            return _status;
        }
    }

    private void Cancel()
    {
        lock (_sync)
        {
            if (_finished) return;
        }

        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Released concurrently: the call is over anyway.
        }
    }

    private void AbortResponse()
    {
        HttpResponseMessage? response;
        lock (_sync)
        {
            response = _response;
        }

        response?.Dispose();
    }

    /// <summary>Frees the call's stream and timers; <paramref name="completeReader"/> only where no read can be running, to return its buffers to the pool.</summary>
    private void Release(bool completeReader = false)
    {
        lock (_sync)
        {
            if (_finished) return;
            _finished = true;
        }

        if (completeReader) _reader?.Complete();

        _response?.Dispose();
        _request?.Dispose();
        _cancellation.Dispose();
        _deadline?.Dispose();
    }

    private Status StatusOf(Exception e)
    {
        if (_deadline is { IsCancellationRequested: true }) return new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded");
        if (_cancellation.IsCancellationRequested) return new Status(StatusCode.Cancelled, "Call canceled by the client.");
        return e switch
        {
            HttpProtocolException { ErrorCode: 0x8 } => new Status(StatusCode.Cancelled, "The server reset the stream (CANCEL)."),
            HttpProtocolException { ErrorCode: 0x7 } => new Status(StatusCode.Unavailable, "The server refused the stream (REFUSED_STREAM)."),
            HttpProtocolException p => new Status(StatusCode.Internal, $"HTTP/2 error {p.ErrorCode}: {p.Message}"),
            HttpRequestException => new Status(StatusCode.Unavailable, $"Error starting gRPC call. {e.GetType().Name}: {e.Message}"),
            IOException => new Status(StatusCode.Unavailable, $"Error reading the response. {e.GetType().Name}: {e.Message}"),
            OperationCanceledException => new Status(StatusCode.Cancelled, "Call canceled."),
            _ => new Status(StatusCode.Internal, $"Error in the gRPC call. {e.GetType().Name}: {e.Message}"),
        };
    }

    private static Status? ReadStatus(HttpHeaders headers)
    {
        if (!headers.TryGetValues(GrpcWire.Status, out var values)) return null;
        var text = values.FirstOrDefault();
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
        {
            return new Status(StatusCode.Unknown, $"Unexpected grpc-status value '{text}'.");
        }

        var message = headers.TryGetValues(GrpcWire.Message, out var messages) ? GrpcWire.DecodeMessage(messages.FirstOrDefault()) : "";
        return new Status((StatusCode)code, message);
    }

    private static Metadata ToMetadata(HttpHeaders headers, Metadata? into)
    {
        var metadata = into ?? [];
        foreach (var (name, values) in headers)
        {
            if (GrpcWire.IsReservedHeader(name)) continue;
            foreach (var value in values) GrpcWire.AddHeaderValue(metadata, name, value);
        }

        return metadata;
    }

    /// <summary>The gRPC spec's mapping for a response that is not HTTP 200.</summary>
    private static StatusCode FromHttpStatus(HttpStatusCode status) => (int)status switch
    {
        400 => StatusCode.Internal,
        401 => StatusCode.Unauthenticated,
        403 => StatusCode.PermissionDenied,
        404 => StatusCode.Unimplemented,
        429 or 502 or 503 or 504 => StatusCode.Unavailable,
        _ => StatusCode.Unknown,
    };
}
