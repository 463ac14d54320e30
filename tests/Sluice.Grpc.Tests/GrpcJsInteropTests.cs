using System.Text.Json;
using NUnit.Framework;
using Sluice.Grpc.Tests.Echo;

namespace Sluice.Grpc.Tests;

/// <summary>@grpc/grpc-js as the client of the Sluice server, over echo.proto.</summary>
[TestFixture]
public sealed class GrpcJsClientToSluiceServerTests
{
    private EchoServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        GrpcJs.RequireNodeModules();
        _server = await EchoServer.StartAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }

    [SetUp]
    public void ResetProbe() => _server.ResetProbe();

    [Test]
    public async Task Unary_call_round_trips_text_bytes_and_metadata()
    {
        var result = await GrpcJs.RunClientAsync(_server.Address, "unary");

        Assert.That(result.TryGetProperty("error", out _), Is.False, result.ToString());
        Assert.That(result.GetProperty("text").GetString(), Is.EqualTo("héllo wörld"));
        Assert.That(result.GetProperty("payload").GetString(), Is.EqualTo(Convert.ToHexStringLower(EchoServer.Payload(256).ToByteArray())));
        var headers = result.GetProperty("headers").EnumerateArray().Select(h => h.GetString()).ToList();
        Assert.That(headers, Does.Contain("x-caller=grpc-js").And.Contain("x-token-bin=CQgH"));
    }

    [Test]
    public async Task Server_stream_arrives_whole_and_in_order()
    {
        var result = await GrpcJs.RunClientAsync(_server.Address, "stream");

        Assert.That(Indices(result), Is.EqualTo(Enumerable.Range(0, 500)));
        Assert.That(result.GetProperty("status").GetInt32(), Is.EqualTo(0));
    }

    [Test]
    public async Task Handler_error_reaches_grpc_js_with_code_decoded_message_and_trailers()
    {
        var error = (await GrpcJs.RunClientAsync(_server.Address, "error")).GetProperty("error");

        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo((int)StatusCode.NotFound));
        Assert.That(error.GetProperty("details").GetString(), Is.EqualTo("not found: ошибка ü 日本 100%"));
        Assert.That(error.GetProperty("detail").GetString(), Is.EqualTo("from sluice"));
        Assert.That(error.GetProperty("detailBin").GetString(), Is.EqualTo("000102ff"));
    }

    [Test]
    public async Task Stream_error_after_messages_reaches_grpc_js_in_trailers()
    {
        var result = await GrpcJs.RunClientAsync(_server.Address, "streamError");

        Assert.That(Indices(result), Is.EqualTo(new[] { 0, 1, 2 }));
        Assert.That(result.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo((int)StatusCode.FailedPrecondition));
        Assert.That(result.GetProperty("error").GetProperty("details").GetString(), Is.EqualTo("stream ended: ошибка ü 日本 100%"));
    }

    [Test]
    public async Task Grpc_js_deadline_is_DEADLINE_EXCEEDED_and_cancels_the_handler()
    {
        var result = await GrpcJs.RunClientAsync(_server.Address, "deadline");

        Assert.That(result.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo((int)StatusCode.DeadlineExceeded));
        var deadline = await _server.Probe.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.That(deadline, Is.Not.EqualTo(DateTime.MaxValue), "grpc-js sent grpc-timeout and the handler saw it");
    }

    [Test]
    public async Task Grpc_js_cancel_reaches_the_Sluice_handler()
    {
        var result = await GrpcJs.RunClientAsync(_server.Address, "cancel");

        Assert.That(result.GetProperty("first").GetInt32(), Is.EqualTo(0));
        Assert.That(result.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo((int)StatusCode.Cancelled));
        var deadline = await _server.Probe.HandlerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.That(deadline, Is.EqualTo(DateTime.MaxValue), "no deadline was sent: the RST_STREAM cancelled the handler");
    }

    [Test]
    public async Task Unknown_method_is_UNIMPLEMENTED_for_grpc_js()
    {
        var result = await GrpcJs.RunClientAsync(_server.Address, "unimplemented");
        Assert.That(result.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo((int)StatusCode.Unimplemented));
    }

    [Test]
    public async Task Gzip_requests_and_responses_interoperate_with_grpc_js()
    {
        // Its own server: grpc-js decompresses asynchronously and can report an error status before the compressed
        // messages that preceded it, so the other scenarios run uncompressed.
        await using var gzipServer = await EchoServer.StartAsync(o => o.ResponseCompressionAlgorithm = "gzip");
        var result = await GrpcJs.RunClientAsync(gzipServer.Address, "gzip");

        Assert.That(result.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null, Is.False, result.ToString());
        Assert.That(result.GetProperty("payloadLength").GetInt32(), Is.EqualTo(200_000));
        Assert.That(result.GetProperty("same").GetBoolean(), Is.True);
        Assert.That(result.GetProperty("streamed").GetInt32(), Is.EqualTo(20));
        Assert.That(result.GetProperty("streamStatus").GetInt32(), Is.EqualTo(0));
    }

    private static int[] Indices(JsonElement result) => result.GetProperty("indices").EnumerateArray().Select(i => i.GetInt32()).ToArray();
}

/// <summary>The Sluice client against a @grpc/grpc-js server of echo.proto.</summary>
[TestFixture]
public sealed class SluiceClientToGrpcJsServerTests
{
    private GrpcJsServer _server = null!;
    private GrpcChannel _channel = null!;
    private CallInvoker _invoker = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        GrpcJs.RequireNodeModules();
        _server = await GrpcJsServer.StartAsync();
        _channel = GrpcChannel.ForAddress(_server.Address);
        _invoker = _channel.CreateCallInvoker();
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _channel?.Dispose();
        _server?.Dispose();
    }

    private static CallOptions Options(int deadlineMs = 20_000, Metadata? headers = null) => new(headers, DateTime.UtcNow.AddMilliseconds(deadlineMs));

    [Test]
    public async Task Unary_call_round_trips_text_bytes_and_metadata()
    {
        var request = EchoMethods.Request("héllo from .NET");
        request.Payload = EchoServer.Payload(100_000);
        var headers = new Metadata { { "x-caller", "sluice" }, { "x-token-bin", new byte[] { 9, 8, 7 } } };

        var reply = await _invoker.AsyncUnaryCall(EchoMethods.Say, request, Options(headers: headers));

        Assert.That(reply.Text, Is.EqualTo("héllo from .NET"));
        Assert.That(reply.Payload, Is.EqualTo(request.Payload));
        Assert.That(reply.Headers, Does.Contain("x-caller=sluice").And.Contain("x-token-bin=CQgH"));
    }

    [Test]
    public async Task Server_stream_from_grpc_js_arrives_whole_and_in_order()
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
    public void Grpc_js_error_reaches_the_Sluice_client_with_code_decoded_message_and_trailers()
    {
        const string Message = "precondition: ошибка ü 日本 100%";
        var e = Assert.ThrowsAsync<RpcException>(async () =>
            await _invoker.AsyncUnaryCall(EchoMethods.Say, EchoMethods.Request("fail", fail: StatusCode.FailedPrecondition, failMessage: Message), Options()));

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        Assert.That(e.Status.Detail, Is.EqualTo(Message));
        Assert.That(e.Trailers.GetValue("echo-detail"), Is.EqualTo("from grpc-js"));
        Assert.That(e.Trailers.GetValueBytes("echo-detail-bin"), Is.EqualTo(new byte[] { 0, 1, 2, 255 }));
    }

    [Test]
    public async Task Grpc_js_stream_error_after_messages_reaches_the_Sluice_client()
    {
        using var call = _invoker.AsyncServerStreamingCall(EchoMethods.Repeat, EchoMethods.Request("fails", count: 3, fail: StatusCode.Aborted, failMessage: "aborted: ü"), Options());
        var received = 0;
        var e = Assert.ThrowsAsync<RpcException>(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None)) received++;
        });

        Assert.That(received, Is.EqualTo(3));
        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.Aborted));
        Assert.That(e.Status.Detail, Is.EqualTo("aborted: ü"));
    }

    [Test]
    public void Deadline_against_grpc_js_is_DEADLINE_EXCEEDED()
    {
        var e = Assert.ThrowsAsync<RpcException>(async () => await _invoker.AsyncUnaryCall(EchoMethods.Say, EchoMethods.Request("slow", delayMs: 10_000), Options(deadlineMs: 300)));
        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.DeadlineExceeded));
    }

    [Test]
    public void Unknown_method_on_grpc_js_is_UNIMPLEMENTED()
    {
        var e = Assert.ThrowsAsync<RpcException>(async () => await _invoker.AsyncUnaryCall(EchoMethods.Missing, EchoMethods.Request("x"), Options()));
        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.Unimplemented));
    }

    [Test]
    public async Task Gzip_requests_interoperate_with_grpc_js()
    {
        using var channel = GrpcChannel.ForAddress(_server.Address, new GrpcChannelOptions { RequestCompressionAlgorithm = "gzip" });
        var request = EchoMethods.Request("zip");
        request.Payload = Google.Protobuf.ByteString.CopyFrom(new byte[300_000]);

        var reply = await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Say, request, Options());

        Assert.That(reply.Payload, Is.EqualTo(request.Payload));
    }

    [Test]
    public void Response_over_the_Sluice_receive_limit_is_RESOURCE_EXHAUSTED()
    {
        using var channel = GrpcChannel.ForAddress(_server.Address, new GrpcChannelOptions { MaxReceiveMessageSize = 1024 });
        var request = EchoMethods.Request("big");
        request.Payload = EchoServer.Payload(4096);

        var e = Assert.ThrowsAsync<RpcException>(async () => await channel.CreateCallInvoker().AsyncUnaryCall(EchoMethods.Say, request, Options()));

        Assert.That(e!.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
    }
}
