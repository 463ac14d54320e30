using NUnit.Framework;
using Sluice.Grpc.Tests.Echo;

namespace Sluice.Grpc.Tests;

/// <summary>The Sluice client against the Sluice server, over real HTTP/2 on loopback.</summary>
[TestFixture]
public sealed class SluiceGrpcTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private EchoServer _server = null!;
    private GrpcChannel _channel = null!;
    private CallInvoker _invoker = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _server = await EchoServer.StartAsync();
        _channel = GrpcChannel.ForAddress(_server.Address);
        _invoker = _channel.CreateCallInvoker();
    }

    [TearDown]
    public async Task StopAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    private static CallOptions Options(int deadlineMs = 20_000) => new(deadline: DateTime.UtcNow.AddMilliseconds(deadlineMs));

    [Test]
    public async Task Unary_call_returns_the_response_headers_and_OK_status()
    {
        var request = EchoMethods.Request("héllo");
        request.Payload = EchoServer.Payload(1000);
        var headers = new Metadata { { "x-caller", "sluice" }, { "x-token-bin", new byte[] { 9, 8, 7 } } };

        using var call = _invoker.AsyncUnaryCall(EchoMethods.Say, request, new CallOptions(headers, DateTime.UtcNow.AddSeconds(20)));
        var reply = await call;

        Assert.That(reply.Text, Is.EqualTo("héllo"));
        Assert.That(reply.Payload, Is.EqualTo(request.Payload));
        Assert.That(reply.Headers, Does.Contain("x-caller=sluice").And.Contain("x-token-bin=CQgH"));
        Assert.That(call.GetStatus().StatusCode, Is.EqualTo(StatusCode.OK));
    }

    [Test]
    public async Task Server_streaming_call_delivers_every_message_in_order()
    {
        using var call = _invoker.AsyncServerStreamingCall(EchoMethods.Repeat, EchoMethods.Request("many", count: 1000), Options());
        var expected = 0;
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            Assert.That(call.ResponseStream.Current.Index, Is.EqualTo(expected));
            expected++;
        }

        Assert.That(expected, Is.EqualTo(1000));
        Assert.That(call.GetStatus().StatusCode, Is.EqualTo(StatusCode.OK));
    }

    [Test]
    public async Task Server_streaming_flushes_each_message_so_the_client_sees_the_first_before_the_server_sends_the_last()
    {
        using var call = _invoker.AsyncServerStreamingCall(EchoMethods.Repeat, EchoMethods.Request("gated", count: 3), Options());

        // The handler waits after its first reply until the test opens the gate: the first reply must arrive on its own.
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Bound), Is.True);
        Assert.That(call.ResponseStream.Current.Index, Is.EqualTo(0));
        _server.Probe.Gate.SetResult();

        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.True);
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.True);
        Assert.That(call.ResponseStream.Current.Index, Is.EqualTo(2));
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None), Is.False);
    }

    [Test]
    public void Handler_RpcException_reaches_the_client_with_its_status_non_ASCII_message_and_trailers()
    {
        const string Message = "not found: ошибка ü 日本 100% \"quoted\"";
        var e = Assert.ThrowsAsync<RpcException>(async () =>
            await _invoker.AsyncUnaryCall(EchoMethods.Say, EchoMethods.Request("fail", fail: StatusCode.NotFound, failMessage: Message), Options()));

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.NotFound));
        Assert.That(e.Status.Detail, Is.EqualTo(Message));
        Assert.That(e.Trailers.GetValue("echo-detail"), Is.EqualTo("from sluice"));
        Assert.That(e.Trailers.GetValueBytes("echo-detail-bin"), Is.EqualTo(new byte[] { 0, 1, 2, 255 }));
    }

    [Test]
    public async Task Stream_that_fails_after_some_messages_ends_with_the_handler_status_in_trailers()
    {
        using var call = _invoker.AsyncServerStreamingCall(EchoMethods.Repeat, EchoMethods.Request("fails", count: 3, fail: StatusCode.FailedPrecondition, failMessage: "stream ended: ü"), Options());
        var received = 0;
        var e = Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) received++;
        });

        Assert.That(received, Is.EqualTo(3));
        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(e.Status.Detail, Is.EqualTo("stream ended: ü"));
        Assert.That(call.GetStatus().StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(call.GetTrailers().GetValue("echo-detail"), Is.EqualTo("from sluice"));
    }

    [Test]
    public void Unhandled_handler_exception_becomes_UNKNOWN_without_its_message_or_stack()
    {
        var e = Assert.ThrowsAsync<RpcException>(async () => await _invoker.AsyncUnaryCall(EchoMethods.Say, EchoMethods.Request("throw"), Options()));

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.Unknown));
        Assert.That(e.Status.Detail, Does.Not.Contain("secret").And.Not.Contain(" at "));
    }

    [Test]
    public void Unknown_method_is_UNIMPLEMENTED()
    {
        var e = Assert.ThrowsAsync<RpcException>(async () => await _invoker.AsyncUnaryCall(EchoMethods.Missing, EchoMethods.Request("x"), Options()));
        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.Unimplemented));

        var otherService = new Method<EchoRequest, EchoReply>(MethodType.Unary, "nobody.Home", "Say", EchoMethods.Say.RequestMarshaller, EchoMethods.Say.ResponseMarshaller);
        e = Assert.ThrowsAsync<RpcException>(async () => await _invoker.AsyncUnaryCall(otherService, EchoMethods.Request("x"), Options()));
        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.Unimplemented));
    }

    [Test]
    public async Task Deadline_exceeded_fails_the_call_and_cancels_the_server_handler()
    {
        var e = Assert.ThrowsAsync<RpcException>(async () => await _invoker.AsyncUnaryCall(EchoMethods.Say, EchoMethods.Request("slow", delayMs: 60_000), Options(deadlineMs: 300)));

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.DeadlineExceeded));
        var handlerDeadline = await _server.Probe.HandlerCancelled.Task.WaitAsync(Bound);
        Assert.That(handlerDeadline, Is.LessThan(DateTime.UtcNow.AddSeconds(5)), "the handler saw the deadline the client sent");
    }

    [Test]
    public void Client_enforces_its_deadline_when_the_server_never_answers()
    {
        // The Silent endpoint ignores grpc-timeout: only the client's own timer can end this call.
        var e = Assert.ThrowsAsync<RpcException>(async () => await _invoker.AsyncUnaryCall(EchoMethods.Silent, EchoMethods.Request("x"), Options(deadlineMs: 300)));
        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.DeadlineExceeded));
    }

    [Test]
    public void Deadline_already_past_fails_without_calling()
    {
        var e = Assert.ThrowsAsync<RpcException>(async () => await _invoker.AsyncUnaryCall(EchoMethods.Say, EchoMethods.Request("x"), new CallOptions(deadline: DateTime.UtcNow.AddSeconds(-1))));
        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.DeadlineExceeded));
    }

    [Test]
    public async Task Client_cancellation_reaches_the_server_handler()
    {
        using var cancel = new CancellationTokenSource();
        using var call = _invoker.AsyncServerStreamingCall(EchoMethods.Repeat, EchoMethods.Request("wait-for-cancel", count: 2), new CallOptions(cancellationToken: cancel.Token));
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Bound), Is.True);

        await cancel.CancelAsync();

        var handlerDeadline = await _server.Probe.HandlerCancelled.Task.WaitAsync(Bound);
        Assert.That(handlerDeadline, Is.EqualTo(DateTime.MaxValue), "no deadline was sent: the RST_STREAM cancelled the handler");
        var e = Assert.ThrowsAsync<RpcException>(async () => await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.Cancelled));
    }

    [Test]
    public async Task Disposing_a_running_stream_cancels_the_server_handler()
    {
        var call = _invoker.AsyncServerStreamingCall(EchoMethods.Repeat, EchoMethods.Request("wait-for-cancel", count: 2), Options());
        Assert.That(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Bound), Is.True);

        call.Dispose();

        await _server.Probe.HandlerCancelled.Task.WaitAsync(Bound);
        Assert.That(call.GetStatus().StatusCode, Is.EqualTo(StatusCode.Cancelled));
    }

    [Test]
    public void Server_rejects_a_request_over_its_4_MiB_receive_limit_with_RESOURCE_EXHAUSTED()
    {
        var request = EchoMethods.Request("big");
        request.Payload = EchoServer.Payload(4 * 1024 * 1024 + 1);

        var e = Assert.ThrowsAsync<RpcException>(async () => await _invoker.AsyncUnaryCall(EchoMethods.Say, request, Options()));

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
    }

    [Test]
    public async Task Client_rejects_a_response_over_its_receive_limit_with_RESOURCE_EXHAUSTED()
    {
        using var small = GrpcChannel.ForAddress(_server.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 1024 });
        var invoker = small.CreateCallInvoker();
        var request = EchoMethods.Request("big");
        request.Payload = EchoServer.Payload(1000);
        Assert.That((await invoker.AsyncUnaryCall(EchoMethods.Say, request, Options())).Payload.Length, Is.EqualTo(1000));

        request.Payload = EchoServer.Payload(2000);
        var e = Assert.ThrowsAsync<RpcException>(async () => await invoker.AsyncUnaryCall(EchoMethods.Say, request, Options()));

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
    }

    [Test]
    public async Task Gzip_compresses_requests_and_responses_per_message()
    {
        await using var server = await EchoServer.StartAsync(o => o.ResponseCompressionAlgorithm = "gzip");
        using var recorder = new RecordingHandler();
        using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { RequestCompressionAlgorithm = "gzip", HttpHandler = recorder });
        var request = EchoMethods.Request("zip");
        request.Payload = Google.Protobuf.ByteString.CopyFrom(new byte[300_000]);

        var reply = await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Say, request, Options());
        using var stream = channel.CreateCallInvoker().AsyncServerStreamingCall(EchoMethods.Repeat, EchoMethods.Request("zip", count: 5), Options());
        var streamed = 0;
        while (await stream.ResponseStream.MoveNext(CancellationToken.None)) streamed++;

        Assert.That(reply.Payload, Is.EqualTo(request.Payload));
        Assert.That(streamed, Is.EqualTo(5));
        Assert.That(recorder.RequestEncoding, Is.EqualTo("gzip"));
        Assert.That(recorder.RequestCompressedFlag, Is.EqualTo(1), "the request frame is flagged compressed");
        Assert.That(recorder.RequestBodyLength, Is.LessThan(10_000), "300 kB of zeros went out compressed");
        Assert.That(recorder.ResponseEncoding, Is.EqualTo("gzip"));
    }

    /// <summary>Records what went over the wire, for checks the public API does not show.</summary>
    private sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler { EnableMultipleHttp2Connections = true, UseProxy = false })
    {
        public string? RequestEncoding { get; private set; }

        public int RequestCompressedFlag { get; private set; } = -1;

        public long RequestBodyLength { get; private set; }

        public string? ResponseEncoding { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            RequestEncoding = request.Headers.TryGetValues("grpc-encoding", out var values) ? string.Join(",", values) : null;
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            RequestCompressedFlag = body[0];
            RequestBodyLength = body.Length;
            var response = await base.SendAsync(request, cancellationToken);
            ResponseEncoding = response.Headers.TryGetValues("grpc-encoding", out var encodings) ? string.Join(",", encodings) : null;
            return response;
        }
    }
}
