using System.Buffers.Binary;
using System.Net;
using NUnit.Framework;
using Sluice.Grpc.Tests.Echo;

namespace Sluice.Grpc.Tests;

/// <summary>What the Sluice server puts on the wire, seen through a bare HTTP/2 client, and the header encodings.</summary>
[TestFixture]
public sealed class GrpcWireTests
{
    private EchoServer _server = null!;
    private HttpMessageInvoker _http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await EchoServer.StartAsync();
        _http = new HttpMessageInvoker(new SocketsHttpHandler { UseProxy = false });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [TestCase("100m", 100 * TimeSpan.TicksPerMillisecond)]
    [TestCase("3S", 3 * TimeSpan.TicksPerSecond)]
    [TestCase("2M", 2 * TimeSpan.TicksPerMinute)]
    [TestCase("1H", TimeSpan.TicksPerHour)]
    [TestCase("250u", 2500)]
    [TestCase("1500n", 15)]
    [TestCase("99999999m", 99_999_999 * TimeSpan.TicksPerMillisecond)]
    public void Grpc_timeout_parses_every_unit(string header, long ticks) =>
        Assert.That(GrpcWire.ParseTimeout(header), Is.EqualTo(TimeSpan.FromTicks(ticks)));

    [TestCase("")]
    [TestCase("10")]
    [TestCase("m")]
    [TestCase("123456789m")]
    [TestCase("10x")]
    [TestCase("-5m")]
    public void Grpc_timeout_rejects_malformed_values(string header) => Assert.That(GrpcWire.ParseTimeout(header), Is.Null);

    [Test]
    public void Grpc_timeout_is_sent_with_at_most_8_digits_and_never_shorter_than_asked()
    {
        foreach (var timeout in new[] { TimeSpan.FromTicks(1), TimeSpan.FromMilliseconds(300), TimeSpan.FromHours(2), TimeSpan.FromDays(3650) })
        {
            var header = GrpcWire.FormatTimeout(timeout);
            Assert.That(header, Does.Match("^[0-9]{1,8}[HMSmun]$"));
            Assert.That(GrpcWire.ParseTimeout(header), Is.GreaterThanOrEqualTo(timeout));
        }
    }

    [Test]
    public void Grpc_message_is_percent_encoded_UTF8_and_decodes_back()
    {
        Assert.That(GrpcWire.EncodeMessage("plain text"), Is.EqualTo("plain text"));
        Assert.That(GrpcWire.EncodeMessage("ü 100%\n"), Is.EqualTo("%C3%BC 100%25%0A"));
        Assert.That(GrpcWire.DecodeMessage("%C3%BC 100%25%0A"), Is.EqualTo("ü 100%\n"));
        Assert.That(GrpcWire.DecodeMessage("bad %zz escape %"), Is.EqualTo("bad %zz escape %"), "malformed escapes are kept as they are");
    }

    [Test]
    public void Metadata_keeps_text_values_printable_ASCII_and_binary_values_under_bin_keys()
    {
        var metadata = new Metadata { { "X-Mixed-Case", "v" }, { "blob-bin", new byte[] { 1 } } };

        Assert.That(metadata.GetValue("x-mixed-case"), Is.EqualTo("v"));
        Assert.That(metadata[1].Value, Is.EqualTo("AQ=="));
        Assert.That(() => metadata.Add("text", "ü"), Throws.ArgumentException);
        Assert.That(() => metadata.Add("text-bin", "plain"), Throws.ArgumentException);
        Assert.That(() => metadata.Add("bytes", new byte[] { 1 }), Throws.ArgumentException);
        Assert.That(() => metadata.Add("bad key", "v"), Throws.ArgumentException);
    }

    [Test]
    public async Task Unary_response_is_one_framed_message_with_grpc_status_in_the_trailers()
    {
        using var response = await SendAsync(EchoMethods.Say, EchoMethods.Request("wire"));
        var body = await response.Content.ReadAsByteArrayAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Version, Is.EqualTo(HttpVersion.Version20));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/grpc"));
        Assert.That(response.Headers.Contains("grpc-status"), Is.False, "a response with a message carries its status in trailers");
        Assert.That(body[0], Is.EqualTo(0), "uncompressed");
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1)), Is.EqualTo(body.Length - 5));
        Assert.That(EchoReply.Parser.ParseFrom(body.AsSpan(5).ToArray()).Text, Is.EqualTo("wire"));
        Assert.That(response.TrailingHeaders.GetValues("grpc-status"), Is.EqualTo(new[] { "0" }));
    }

    [Test]
    public async Task Error_before_any_message_is_a_trailers_only_response_with_a_percent_encoded_message()
    {
        using var response = await SendAsync(EchoMethods.Say, EchoMethods.Request("fail", fail: StatusCode.Aborted, failMessage: "ü%"));
        var body = await response.Content.ReadAsByteArrayAsync().WaitAsync(TimeSpan.FromSeconds(20));

        Assert.That(body, Is.Empty);
        Assert.That(response.Headers.GetValues("grpc-status"), Is.EqualTo(new[] { "10" }));
        Assert.That(response.Headers.GetValues("grpc-message"), Is.EqualTo(new[] { "%C3%BC%25" }));
        Assert.That(response.Headers.GetValues("echo-detail"), Is.EqualTo(new[] { "from sluice" }));
        Assert.That(response.Headers.GetValues("echo-detail-bin"), Is.EqualTo(new[] { "AAEC/w==" }));
    }

    [Test]
    public async Task Server_enforces_grpc_timeout_on_its_own_with_DEADLINE_EXCEEDED()
    {
        // This client has no timer of its own: the status can only come from the server's deadline.
        using var response = await SendAsync(EchoMethods.Say, EchoMethods.Request("slow", delayMs: 60_000), ("grpc-timeout", "200m"));
        await response.Content.ReadAsByteArrayAsync().WaitAsync(TimeSpan.FromSeconds(20));

        var status = response.Headers.TryGetValues("grpc-status", out var h) ? h : response.TrailingHeaders.GetValues("grpc-status");
        Assert.That(status, Is.EqualTo(new[] { "4" }));
    }

    [Test]
    public async Task Server_ends_the_call_at_its_deadline_even_when_the_handler_ignores_cancellation()
    {
        _server.ResetProbe();
        try
        {
            // The handler waits on a gate the test opens only afterwards: the status must come from the server's timer.
            using var response = await SendAsync(EchoMethods.Say, EchoMethods.Request("ignore-deadline"), ("grpc-timeout", "200m"));
            await response.Content.ReadAsByteArrayAsync().WaitAsync(TimeSpan.FromSeconds(20));

            var status = response.Headers.TryGetValues("grpc-status", out var h) ? h : response.TrailingHeaders.GetValues("grpc-status");
            Assert.That(status, Is.EqualTo(new[] { "4" }));
            Assert.That(_server.Probe.Gate.Task.IsCompleted, Is.False);
        }
        finally
        {
            _server.Probe.Gate.TrySetResult();
        }
    }

    [Test]
    public async Task Application_grpc_proto_content_type_is_accepted()
    {
        using var response = await SendAsync(EchoMethods.Say, EchoMethods.Request("proto"), contentType: "application/grpc+proto");
        await response.Content.ReadAsByteArrayAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.That(response.TrailingHeaders.GetValues("grpc-status"), Is.EqualTo(new[] { "0" }));
    }

    [Test]
    public async Task Non_gRPC_content_type_is_refused_with_415()
    {
        using var response = await SendAsync(EchoMethods.Say, EchoMethods.Request("json"), contentType: "application/json");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
    }

    [Test]
    public async Task Unsupported_request_encoding_is_UNIMPLEMENTED_and_names_what_is_accepted()
    {
        using var response = await SendAsync(EchoMethods.Say, EchoMethods.Request("x"), ("grpc-encoding", "snappy"));
        Assert.That(response.Headers.GetValues("grpc-status"), Is.EqualTo(new[] { "12" }));
        Assert.That(response.Headers.GetValues("grpc-accept-encoding").Single(), Does.Contain("gzip"));
    }

    [Test]
    public async Task The_gRPC_port_speaks_only_HTTP2()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _server.Address + EchoMethods.Say.FullName)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        // Kestrel itself refuses it; an endpoint that also spoke HTTP/1.1 would reach the gRPC handler (426 Upgrade Required).
        using var response = await _http.SendAsync(request, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("HTTP/2 only endpoint"));
    }

    private async Task<HttpResponseMessage> SendAsync(Method<EchoRequest, EchoReply> method, EchoRequest message, (string Name, string Value)? header = null, string contentType = "application/grpc")
    {
        var payload = Google.Protobuf.MessageExtensions.ToByteArray(message);
        var body = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(body, 5);
        var request = new HttpRequestMessage(HttpMethod.Post, _server.Address + method.FullName)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.TryAddWithoutValidation("content-type", contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (header is { } h) request.Headers.TryAddWithoutValidation(h.Name, h.Value);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await _http.SendAsync(request, timeout.Token);
    }
}
