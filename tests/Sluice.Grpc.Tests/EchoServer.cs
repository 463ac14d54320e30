using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sluice.Grpc.Tests.Echo;
using Sluice.Hosting;

namespace Sluice.Grpc.Tests;

/// <summary>The methods of echo.proto, as a caller of Sluice.Grpc declares them.</summary>
public static class EchoMethods
{
    public const string Service = "sluice.test.echo.Echo";

    public static readonly Method<EchoRequest, EchoReply> Say = new(MethodType.Unary, Service, "Say", Marshallers.Protobuf(EchoRequest.Parser), Marshallers.Protobuf(EchoReply.Parser));

    public static readonly Method<EchoRequest, EchoReply> Repeat = new(MethodType.ServerStreaming, Service, "Repeat", Marshallers.Protobuf(EchoRequest.Parser), Marshallers.Protobuf(EchoReply.Parser));

    /// <summary>Served by a plain endpoint that never answers and ignores grpc-timeout: only the client can end it.</summary>
    public static readonly Method<EchoRequest, EchoReply> Silent = new(MethodType.Unary, Service, "Silent", Marshallers.Protobuf(EchoRequest.Parser), Marshallers.Protobuf(EchoReply.Parser));

    /// <summary>Never mapped.</summary>
    public static readonly Method<EchoRequest, EchoReply> Missing = new(MethodType.Unary, Service, "Missing", Marshallers.Protobuf(EchoRequest.Parser), Marshallers.Protobuf(EchoReply.Parser));

    public static EchoRequest Request(string text, int count = 0, int delayMs = 0, StatusCode fail = StatusCode.OK, string failMessage = "") =>
        new() { Text = text, Count = count, DelayMs = delayMs, FailCode = (int)fail, FailMessage = failMessage };
}

/// <summary>What the test server's handlers saw, for tests to wait on.</summary>
public sealed class EchoProbe
{
    /// <summary>Released by a test to let a "gated" stream go on after its first reply.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Set when a handler's CancellationToken fired; holds the deadline it had.</summary>
    public TaskCompletionSource<DateTime> HandlerCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>A Sluice host serving echo.proto on its gRPC port (loopback, a free port), with Sluice.Grpc's server.</summary>
public sealed class EchoServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private EchoServer(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    public string Address { get; }

    public EchoProbe Probe { get; private set; } = new();

    /// <summary>A fresh probe, for tests sharing one server.</summary>
    public void ResetProbe() => Probe = new EchoProbe();

    public static async Task<EchoServer> StartAsync(Action<GrpcServerOptions>? configure = null)
    {
        var settings = new SluiceSettings { Port = 0, TlsPort = -1, GrpcPort = 0 };
        var builder = SluiceHost.CreateBuilder(settings);
        builder.Services.AddSluiceGrpc(configure);
        var app = builder.Build();
        EchoServer? server = null;
        app.MapGrpcUnary(EchoMethods.Say, (request, context) => Say(request, context, server!.Probe));
        app.MapGrpcServerStreaming(EchoMethods.Repeat, (request, stream, context) => Repeat(request, stream, context, server!.Probe));
        app.MapPost(EchoMethods.Silent.FullName, async (HttpContext http) => await Task.Delay(Timeout.Infinite, http.RequestAborted));
        await app.StartAsync();
        server = new EchoServer(app, app.GrpcAddress() ?? throw new InvalidOperationException("The gRPC port did not bind."));
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task<EchoReply> Say(EchoRequest request, ServerCallContext context, EchoProbe probe)
    {
        if (request.Text == "throw") throw new InvalidOperationException("secret internals of the handler");
        if (request.Text == "ignore-deadline") await probe.Gate.Task; // deliberately deaf to its CancellationToken
        if (request.DelayMs > 0) await WaitAsync(TimeSpan.FromMilliseconds(request.DelayMs), context, probe);
        if (request.FailCode != 0) throw Failure(request);
        var reply = new EchoReply { Text = request.Text, Payload = request.Payload };
        foreach (var entry in context.RequestHeaders) reply.Headers.Add(entry.ToString());
        return reply;
    }

    private static async Task Repeat(EchoRequest request, IServerStreamWriter<EchoReply> stream, ServerCallContext context, EchoProbe probe)
    {
        for (var i = 0; i < request.Count; i++)
        {
            if (i > 0 && request.DelayMs > 0) await WaitAsync(TimeSpan.FromMilliseconds(request.DelayMs), context, probe);
            await stream.WriteAsync(new EchoReply { Text = request.Text, Payload = request.Payload, Index = i });
            if (i == 0 && request.Text == "gated") await probe.Gate.Task.WaitAsync(context.CancellationToken);
            if (i == 0 && request.Text == "wait-for-cancel") await WaitAsync(Timeout.InfiniteTimeSpan, context, probe);
        }

        if (request.FailCode != 0) throw Failure(request);
    }

    private static async Task WaitAsync(TimeSpan delay, ServerCallContext context, EchoProbe probe)
    {
        try
        {
            await Task.Delay(delay, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            probe.HandlerCancelled.TrySetResult(context.Deadline);
            throw;
        }
    }

    private static RpcException Failure(EchoRequest request)
    {
        var trailers = new Metadata { { "echo-detail", "from sluice" }, { "echo-detail-bin", new byte[] { 0, 1, 2, 255 } } };
        return new RpcException(new Status((StatusCode)request.FailCode, request.FailMessage), trailers);
    }

    /// <summary>Bytes 0..255, repeated to <paramref name="length"/>.</summary>
    public static ByteString Payload(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)i;
        return ByteString.CopyFrom(bytes);
    }
}
