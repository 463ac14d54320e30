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
}
