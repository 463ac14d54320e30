using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Sluice.AwsProtocol.EventStream;
using Sluice.Hosting;
using Sluice.Streams.Subscriptions;

namespace Sluice.Streams.Tests;

/// <summary>
/// SubscribeToShard over the TLS port (HTTP/2 by ALPN): the event stream read with Sluice's own decoder, and with the
/// real clients (@aws-sdk/client-kinesis with NodeHttp2Handler, boto3) trusting the generated certificate.
/// </summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
[NonParallelizable]
public class SubscribeToShardTests(string storage)
{
    private TestServer _server = null!;
    private KinesisCaller _kinesis = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await TestServer.StartAsync(await TestStorage.CreateAsync(storage));
        _server.Services.GetRequiredService<ShardSubscriptions>().EmptyEventInterval = TimeSpan.FromMilliseconds(500);
        _kinesis = new KinesisCaller(_server.Endpoint);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _kinesis?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    [Test]
    public async Task SubscribeToShard_sends_initial_response_first_then_the_records_in_order_over_HTTP2_TLS()
    {
        var (stream, _, consumerArn) = await NewConsumerAsync(_server, 1);
        var sequenceNumbers = new List<string>();
        for (var i = 0; i < 3; i++) sequenceNumbers.Add(await PutAsync(_kinesis, stream, "record-" + i));

        await using var subscription = await SubscribeAsync(_server, consumerArn, "shardId-000000000000", new { Type = "TRIM_HORIZON" });
        Assert.That(subscription.Response.Version, Is.EqualTo(HttpVersion.Version20));
        Assert.That(subscription.Response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/vnd.amazon.eventstream"));
        var first = await subscription.NextAsync();
        Assert.That(first!.Header(":message-type"), Is.EqualTo("event"));
        Assert.That(first.Header(":event-type"), Is.EqualTo("initial-response"));
        Assert.That(Encoding.UTF8.GetString(first.Payload), Is.EqualTo("{}"));

        var records = await subscription.RecordsAsync(3);
        Assert.That(records.Select(r => (string?)r["SequenceNumber"]), Is.EqualTo(sequenceNumbers));
        Assert.That(records.Select(r => Encoding.UTF8.GetString(Convert.FromBase64String((string)r["Data"]!))), Is.EqualTo(new[] { "record-0", "record-1", "record-2" }));
        Assert.That(records.Select(r => (string?)r["PartitionKey"]), Is.All.EqualTo("pk"));
        Assert.That(records.Select(r => (double?)r["ApproximateArrivalTimestamp"]), Is.All.GreaterThan(1_600_000_000d));
        Assert.That((string?)subscription.LastEvent!["ContinuationSequenceNumber"], Is.EqualTo(sequenceNumbers[^1]));
        Assert.That((long?)subscription.LastEvent["MillisBehindLatest"], Is.EqualTo(0));
    }

    [Test]
    public async Task SubscribeToShard_over_CBOR_sends_CBOR_event_payloads_with_byte_string_data()
    {
        var (stream, _, consumerArn) = await NewConsumerAsync(_server, 1);
        var sequence = await PutAsync(_kinesis, stream, "cbor-record");
        using var client = TlsClient(_server);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Version = client.DefaultRequestVersion, VersionPolicy = client.DefaultVersionPolicy };
        var body = JsonSerializer.SerializeToUtf8Bytes(new { ConsumerARN = consumerArn, ShardId = "shardId-000000000000", StartingPosition = new { Type = "TRIM_HORIZON" } });
        request.Content = new ByteArrayContent(Sluice.AwsProtocol.Cbor.AwsCbor.FromJson(body, Sluice.AwsProtocol.Cbor.CborOutputTypes.None));
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-cbor-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "Kinesis_20131202.SubscribeToShard");
        request.Headers.TryAddWithoutValidation("X-Amz-Date", "20240101T000000Z");
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=akid/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + new string('a', 64));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var reader = new EventStreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var initial = await reader.ReadAsync(timeout.Token);
        Assert.That(initial!.Header(":event-type"), Is.EqualTo("initial-response"));
        Assert.That(initial.Header(":content-type"), Is.EqualTo("application/x-amz-cbor-1.1"));

        var shardEvent = await reader.ReadAsync(timeout.Token);
        Assert.That(shardEvent!.Header(":event-type"), Is.EqualTo("SubscribeToShardEvent"));
        Assert.That(shardEvent.Header(":content-type"), Is.EqualTo("application/x-amz-cbor-1.1"));
        Assert.That(shardEvent.Payload[0], Is.EqualTo(0xbf), "an indefinite-length CBOR map, not JSON text");
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output))
        {
            Assert.That(Sluice.AwsProtocol.Cbor.AwsCbor.TryToJson(shardEvent.Payload, null, json), Is.True);
        }

        var record = JsonNode.Parse(output.WrittenSpan)!["Records"]![0]!;
        Assert.That((string?)record["SequenceNumber"], Is.EqualTo(sequence));
        Assert.That(Encoding.UTF8.GetString(Convert.FromBase64String((string)record["Data"]!)), Is.EqualTo("cbor-record"));
    }

    [Test]
    public async Task SubscribeToShard_from_LATEST_sends_empty_events_then_pushes_records_put_while_subscribed()
    {
        var (stream, _, consumerArn) = await NewConsumerAsync(_server, 1);
        var before = await PutAsync(_kinesis, stream, "before");
        await using var subscription = await SubscribeAsync(_server, consumerArn, "shardId-000000000000", new { Type = "LATEST" });
        Assert.That((await subscription.NextAsync())!.Header(":event-type"), Is.EqualTo("initial-response"));

        var empty = await subscription.NextEventAsync();
        Assert.That(empty["Records"]!.AsArray(), Is.Empty);
        Assert.That((string?)empty["ContinuationSequenceNumber"], Is.EqualTo(before), "resuming after the continuation starts right after the last record");

        var put = await PutAsync(_kinesis, stream, "while-subscribed");
        var records = await subscription.RecordsAsync(1);
        Assert.That((string?)records[0]["SequenceNumber"], Is.EqualTo(put));
        Assert.That(Encoding.UTF8.GetString(Convert.FromBase64String((string)records[0]["Data"]!)), Is.EqualTo("while-subscribed"));
    }

    [Test]
    public async Task SubscribeToShard_resumes_after_the_continuation_without_loss_or_repeat()
    {
        var (stream, _, consumerArn) = await NewConsumerAsync(_server, 1);
        string continuation;
        await using (var first = await SubscribeAsync(_server, consumerArn, "shardId-000000000000", new { Type = "TRIM_HORIZON" }))
        {
            await first.NextAsync();
            var empty = await first.NextEventAsync();
            continuation = (string)empty["ContinuationSequenceNumber"]!;
        }

        var put = await PutAsync(_kinesis, stream, "first-record");
        var second = await ResubscribeAsync(_server, consumerArn, "shardId-000000000000", new { Type = "AFTER_SEQUENCE_NUMBER", SequenceNumber = continuation });
        await using (second)
        {
            await second.NextAsync();
            var records = await second.RecordsAsync(1);
            Assert.That((string?)records[0]["SequenceNumber"], Is.EqualTo(put));
        }
    }

    [Test]
    public async Task SubscribeToShard_rejects_a_second_subscription_within_5_seconds()
    {
        var (_, _, consumerArn) = await NewConsumerAsync(_server, 1);
        await using var subscription = await SubscribeAsync(_server, consumerArn, "shardId-000000000000", new { Type = "LATEST" });
        await subscription.NextAsync();

        using var client = TlsClient(_server);
        using var response = await SendAsync(client, new { ConsumerARN = consumerArn, ShardId = "shardId-000000000000", StartingPosition = new { Type = "LATEST" } });
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.That((int)response.StatusCode, Is.EqualTo(400));
        Assert.That((string?)error["__type"], Is.EqualTo("ResourceInUseException"));
        Assert.That((string?)error["message"], Does.StartWith("Another active subscription exists for this consumer: 000000000000:"));
    }

    [Test]
    public async Task DeregisterStreamConsumer_ends_its_subscriptions()
    {
        var (_, _, consumerArn) = await NewConsumerAsync(_server, 1);
        await using var subscription = await SubscribeAsync(_server, consumerArn, "shardId-000000000000", new { Type = "LATEST" });
        await subscription.NextAsync();

        await _kinesis.OkAsync("DeregisterStreamConsumer", new { ConsumerARN = consumerArn });
        var messages = await subscription.ToEndAsync();
        Assert.That(messages[^1].Header(":message-type"), Is.EqualTo("exception"));
        Assert.That(messages[^1].Header(":exception-type"), Is.EqualTo("ResourceNotFoundException"));
        await _kinesis.ErrorAsync("DescribeStreamConsumer", new { ConsumerARN = consumerArn }, "ResourceNotFoundException");
    }

    [Test]
    public async Task DeleteStream_with_EnforceConsumerDeletion_ends_its_subscriptions()
    {
        var (stream, _, consumerArn) = await NewConsumerAsync(_server, 1);
        await using var subscription = await SubscribeAsync(_server, consumerArn, "shardId-000000000000", new { Type = "TRIM_HORIZON" });
        await subscription.NextAsync();

        await _kinesis.OkAsync("DeleteStream", new { StreamName = stream, EnforceConsumerDeletion = true });
        var messages = await subscription.ToEndAsync();
        Assert.That(messages[^1].Header(":exception-type"), Is.EqualTo("ResourceNotFoundException"), Encoding.UTF8.GetString(messages[^1].Payload));
    }

    [Test]
    public async Task SubscribeToShard_delivers_ChildShards_and_completes_when_its_shard_is_split()
    {
        var (stream, _, consumerArn) = await NewConsumerAsync(_server, 1);
        await using var subscription = await SubscribeAsync(_server, consumerArn, "shardId-000000000000", new { Type = "TRIM_HORIZON" });
        await subscription.NextAsync();
        var put = await PutAsync(_kinesis, stream, "before-split");
        Assert.That((string?)(await subscription.RecordsAsync(1))[0]["SequenceNumber"], Is.EqualTo(put));

        await _kinesis.OkAsync("SplitShard", new { StreamName = stream, ShardToSplit = "shardId-000000000000", NewStartingHashKey = "170141183460469231731687303715884105728" });
        var messages = await subscription.ToEndAsync();
        var last = JsonNode.Parse(messages[^1].Payload)!;
        Assert.That(messages[^1].Header(":event-type"), Is.EqualTo("SubscribeToShardEvent"));
        Assert.That(last["ContinuationSequenceNumber"], Is.Null, "a shard's end has nothing to continue from");
        var children = last["ChildShards"]!.AsArray();
        Assert.That(children.Select(c => (string?)c!["ShardId"]), Is.EqualTo(new[] { "shardId-000000000001", "shardId-000000000002" }));
        Assert.That(children.Select(c => (string?)c!["ParentShards"]![0]), Is.All.EqualTo("shardId-000000000000"));
    }

    [Test]
    public async Task SubscribeToShard_errors_before_streaming_are_ordinary_JSON_errors()
    {
        var (_, _, consumerArn) = await NewConsumerAsync(_server, 1);
        using var client = TlsClient(_server);
        var unknownConsumer = consumerArn.Replace("/consumer/", "/consumer/x", StringComparison.Ordinal);
        await ExpectErrorAsync(client, new { ConsumerARN = unknownConsumer, ShardId = "shardId-000000000000", StartingPosition = new { Type = "LATEST" } }, "ResourceNotFoundException");
        await ExpectErrorAsync(client, new { ConsumerARN = consumerArn, ShardId = "shardId-000000000009", StartingPosition = new { Type = "LATEST" } }, "ResourceNotFoundException");
        await ExpectErrorAsync(client, new { ConsumerARN = consumerArn, ShardId = "shardId-000000000000", StartingPosition = new { Type = "AFTER_SEQUENCE_NUMBER" } }, "InvalidArgumentException");
        await ExpectErrorAsync(client, new { ConsumerARN = consumerArn, ShardId = "shardId-000000000000", StartingPosition = new { Type = "AT_SEQUENCE_NUMBER", SequenceNumber = "12345" } }, "InvalidArgumentException");
        await ExpectErrorAsync(client, new { ConsumerARN = consumerArn, ShardId = "shardId-000000000000", StartingPosition = new { Type = "AT_TIMESTAMP" } }, "InvalidArgumentException");
        await ExpectErrorAsync(client, new { ConsumerARN = consumerArn, ShardId = "shardId-000000000000", StartingPosition = new { Type = "SOMEWHERE" } }, "ValidationException");
        await ExpectErrorAsync(client, new { ConsumerARN = "not-an-arn", ShardId = "shardId-000000000000", StartingPosition = new { Type = "LATEST" } }, "ValidationException");
        await ExpectErrorAsync(client, new { ConsumerARN = consumerArn, ShardId = "shardId-000000000000" }, "ValidationException");
    }

    [Test]
    public async Task Javascript_sdk_subscribes_over_HTTP2_TLS_with_NodeHttp2Handler()
    {
        if (!Directory.Exists(Path.Combine(ClientsDir, "node_modules", "@aws-sdk", "client-kinesis")))
        {
            Assert.Ignore("tests/clients has no node_modules; tools/test.sh installs them.");
        }

        await RunClientAsync("node", "subscribe_js.mjs");
    }

    [Test]
    public async Task Boto3_subscribe_to_shard_receives_the_records_put() =>
        await RunClientAsync(Environment.GetEnvironmentVariable("SLUICE_TEST_PYTHON") is { Length: > 0 } p ? p : "python3", "subscribe_boto3.py");

    private async Task RunClientAsync(string program, string script)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ClientsDir };
        info.ArgumentList.Add(Path.Combine(ClientsDir, script));
        info.Environment["SLUICE_ENDPOINT"] = _server.Endpoint;
        info.Environment["SLUICE_TLS_ENDPOINT"] = _server.TlsEndpoint;
        info.Environment["SLUICE_CA_BUNDLE"] = _server.TlsCaBundle;
        info.Environment["SLUICE_STREAM"] = "sub-" + Guid.NewGuid().ToString("N")[..8];
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(true);
            Assert.Fail($"{script} did not finish in 3 minutes.\n{await stdout}\n{await stderr}");
        }

        var output = await stdout + await stderr;
        TestContext.Out.WriteLine(output);
        Assert.That(process.ExitCode, Is.EqualTo(0), $"{script} failed:\n{output}");
    }

    private static string ClientsDir => Environment.GetEnvironmentVariable("SLUICE_TEST_NODE_DIR") is { Length: > 0 } d ? d : Path.Combine(RepoPaths.Root, "tests", "clients");

    internal static async Task<(string Stream, string StreamArn, string ConsumerArn)> NewConsumerAsync(TestServer server, int shards)
    {
        using var kinesis = new KinesisCaller(server.Endpoint);
        var stream = "sub-" + Guid.NewGuid().ToString("N")[..10];
        await kinesis.OkAsync("CreateStream", new { StreamName = stream, ShardCount = shards });
        var streamArn = $"arn:aws:kinesis:us-east-1:000000000000:stream/{stream}";
        for (var i = 0; i < 100 && (string?)(await kinesis.OkAsync("DescribeStreamSummary", new { StreamName = stream }))["StreamDescriptionSummary"]!["StreamStatus"] != "ACTIVE"; i++)
        {
            await Task.Delay(100);
        }

        var consumer = await kinesis.OkAsync("RegisterStreamConsumer", new { StreamARN = streamArn, ConsumerName = "c1" });
        return (stream, streamArn, (string)consumer["Consumer"]!["ConsumerARN"]!);
    }

    internal static async Task<string> PutAsync(KinesisCaller kinesis, string stream, string data)
    {
        var reply = await kinesis.OkAsync("PutRecord", new { StreamName = stream, PartitionKey = "pk", Data = Convert.ToBase64String(Encoding.UTF8.GetBytes(data)) });
        return (string)reply["SequenceNumber"]!;
    }

    /// <summary>An HTTP/2-only client for the TLS port that trusts exactly the certificate Sluice generated.</summary>
    internal static HttpClient TlsClient(TestServer server, bool http2 = true)
    {
        using var expected = X509CertificateLoader.LoadCertificateFromFile(server.TlsCaBundle);
        var thumbprint = expected.Thumbprint;
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.GetCertHashString() == thumbprint;
        return new HttpClient(handler)
        {
            BaseAddress = new Uri(server.TlsEndpoint!),
            DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    internal static async Task<HttpResponseMessage> SendAsync(HttpClient client, object body, string operation = "SubscribeToShard")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Version = client.DefaultRequestVersion, VersionPolicy = client.DefaultVersionPolicy };
        request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "Kinesis_20131202." + operation);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", "20240101T000000Z");
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=akid/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + new string('a', 64));
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task ExpectErrorAsync(HttpClient client, object body, string type)
    {
        using var response = await SendAsync(client, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That((int)response.StatusCode, Is.EqualTo(400), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/x-amz-json-1.1"));
        Assert.That((string?)JsonNode.Parse(text)!["__type"], Is.EqualTo(type), text);
    }

    internal static async Task<EventSubscription> SubscribeAsync(TestServer server, string consumerArn, string shardId, object startingPosition)
    {
        var client = TlsClient(server);
        var response = await SendAsync(client, new { ConsumerARN = consumerArn, ShardId = shardId, StartingPosition = startingPosition });
        if (response.StatusCode != HttpStatusCode.OK)
        {
            var text = await response.Content.ReadAsStringAsync();
            response.Dispose();
            client.Dispose();
            Assert.Fail($"SubscribeToShard failed: {(int)response.StatusCode} {text}");
        }

        return new EventSubscription(client, response, new EventStreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>Subscribes again, retrying while the previous subscription's protection refuses it (at most 12 s).</summary>
    internal static async Task<EventSubscription> ResubscribeAsync(TestServer server, string consumerArn, string shardId, object startingPosition)
    {
        for (var attempt = 0; attempt < 60; attempt++)
        {
            var client = TlsClient(server);
            var response = await SendAsync(client, new { ConsumerARN = consumerArn, ShardId = shardId, StartingPosition = startingPosition });
            if (response.StatusCode == HttpStatusCode.OK) return new EventSubscription(client, response, new EventStreamReader(await response.Content.ReadAsStreamAsync()));
            var text = await response.Content.ReadAsStringAsync();
            response.Dispose();
            client.Dispose();
            Assert.That((string?)JsonNode.Parse(text)!["__type"], Is.EqualTo("ResourceInUseException"), text);
            await Task.Delay(200);
        }

        Assert.Fail("the previous subscription still refused a new one after 12 s");
        return null!;
    }

    /// <summary>A subscription's response read message by message; every read is bounded.</summary>
    internal sealed class EventSubscription(HttpClient client, HttpResponseMessage response, EventStreamReader reader) : IAsyncDisposable
    {
        public HttpResponseMessage Response { get; } = response;

        public JsonNode? LastEvent { get; private set; }

        public async Task<EventStreamMessage?> NextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await reader.ReadAsync(timeout.Token);
        }

        /// <summary>The next SubscribeToShardEvent's payload.</summary>
        public async Task<JsonNode> NextEventAsync()
        {
            var message = await NextAsync();
            Assert.That(message, Is.Not.Null, "the stream ended");
            Assert.That(message!.Header(":event-type"), Is.EqualTo("SubscribeToShardEvent"), Encoding.UTF8.GetString(message.Payload));
            Assert.That(message.Header(":content-type"), Is.EqualTo("application/json"));
            LastEvent = JsonNode.Parse(message.Payload)!;
            return LastEvent;
        }

        /// <summary>Reads events until <paramref name="count"/> records came (at most 100 events).</summary>
        public async Task<List<JsonNode>> RecordsAsync(int count)
        {
            var records = new List<JsonNode>();
            for (var i = 0; i < 100 && records.Count < count; i++)
            {
                var e = await NextEventAsync();
                records.AddRange(e["Records"]!.AsArray().Select(r => r!));
            }

            Assert.That(records, Has.Count.EqualTo(count));
            return records;
        }

        /// <summary>Every message until the server ends the stream (at most 200).</summary>
        public async Task<List<EventStreamMessage>> ToEndAsync()
        {
            var messages = new List<EventStreamMessage>();
            for (var i = 0; i < 200; i++)
            {
                var message = await NextAsync();
                if (message is null) return messages;
                messages.Add(message);
            }

            Assert.Fail("the stream did not end after 200 messages");
            return messages;
        }

        public ValueTask DisposeAsync()
        {
            Response.Dispose();
            client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Subscription timings shortened through the internal settings: takeover, lifetime, consumer state, the TLS certificate.</summary>
[NonParallelizable]
public class SubscribeToShardTimingTests
{
    private static async Task<TestServer> StartAsync(Action<ShardSubscriptions> configure, Action<SluiceSettings>? settings = null)
    {
        var s = await TestStorage.CreateAsync(TestStorage.Sqlite);
        settings?.Invoke(s);
        var server = await TestServer.StartAsync(s);
        configure(server.Services.GetRequiredService<ShardSubscriptions>());
        return server;
    }

    [Test]
    public async Task A_new_subscription_takes_over_after_the_protection_period_and_the_old_stream_ends()
    {
        await using var server = await StartAsync(s => s.TakeoverAfter = TimeSpan.FromSeconds(1));
        var (_, _, consumerArn) = await SubscribeToShardTests.NewConsumerAsync(server, 1);
        await using var old = await SubscribeToShardTests.SubscribeAsync(server, consumerArn, "shardId-000000000000", new { Type = "LATEST" });
        await old.NextAsync();

        await using var taker = await SubscribeToShardTests.ResubscribeAsync(server, consumerArn, "shardId-000000000000", new { Type = "LATEST" });
        Assert.That((await taker.NextAsync())!.Header(":event-type"), Is.EqualTo("initial-response"));
        var messages = await old.ToEndAsync();
        Assert.That(messages[^1].Header(":message-type"), Is.EqualTo("exception"));
        Assert.That(messages[^1].Header(":exception-type"), Is.EqualTo("ResourceInUseException"));
    }

    [Test]
    public async Task A_subscription_ends_cleanly_at_its_lifetime()
    {
        await using var server = await StartAsync(s =>
        {
            s.Lifetime = TimeSpan.FromSeconds(2);
            s.EmptyEventInterval = TimeSpan.FromMilliseconds(300);
        });
        var (_, _, consumerArn) = await SubscribeToShardTests.NewConsumerAsync(server, 1);
        await using var subscription = await SubscribeToShardTests.SubscribeAsync(server, consumerArn, "shardId-000000000000", new { Type = "LATEST" });

        var messages = await subscription.ToEndAsync();
        Assert.That(messages[0].Header(":event-type"), Is.EqualTo("initial-response"));
        Assert.That(messages.Skip(1).Select(m => m.Header(":event-type")), Is.Not.Empty.And.All.EqualTo("SubscribeToShardEvent"));
        Assert.That(server.Services.GetRequiredService<ShardSubscriptions>().Count, Is.Zero);
    }

    [Test]
    public async Task SubscribeToShard_refuses_a_consumer_that_is_still_CREATING()
    {
        await using var server = await StartAsync(_ => { }, s => s.CreateStreamMs = 4000);
        using var kinesis = new KinesisCaller(server.Endpoint);
        var stream = "sub-" + Guid.NewGuid().ToString("N")[..10];
        await kinesis.OkAsync("CreateStream", new { StreamName = stream, ShardCount = 1 });
        var streamArn = $"arn:aws:kinesis:us-east-1:000000000000:stream/{stream}";
        for (var i = 0; i < 100 && (string?)(await kinesis.OkAsync("DescribeStreamSummary", new { StreamName = stream }))["StreamDescriptionSummary"]!["StreamStatus"] != "ACTIVE"; i++)
        {
            await Task.Delay(100);
        }

        var consumer = await kinesis.OkAsync("RegisterStreamConsumer", new { StreamARN = streamArn, ConsumerName = "c1" });
        Assert.That((string?)consumer["Consumer"]!["ConsumerStatus"], Is.EqualTo("CREATING"));
        using var client = SubscribeToShardTests.TlsClient(server);
        using var response = await SubscribeToShardTests.SendAsync(client, new { ConsumerARN = (string)consumer["Consumer"]!["ConsumerARN"]!, ShardId = "shardId-000000000000", StartingPosition = new { Type = "LATEST" } });
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.That((string?)error["__type"], Is.EqualTo("ResourceInUseException"));
    }

    [Test]
    public async Task The_TLS_port_serves_every_operation_over_HTTP1_and_keeps_its_certificate_across_restarts()
    {
        var settings = await TestStorage.CreateAsync(TestStorage.Sqlite);
        string firstPem;
        await using (var server = await TestServer.StartAsync(settings))
        {
            Assert.That(server.TlsEndpoint, Does.StartWith("https://"));
            using var client = SubscribeToShardTests.TlsClient(server, http2: false);
            using var response = await SubscribeToShardTests.SendAsync(client, new { }, "ListStreams");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            Assert.That(response.Version, Is.EqualTo(HttpVersion.Version11));
            firstPem = await File.ReadAllTextAsync(server.TlsCaBundle);
            using var certificate = X509Certificate2.CreateFromPem(firstPem);
            Assert.That(certificate.NotAfter, Is.GreaterThan(DateTime.UtcNow.AddYears(5)));
            var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
            Assert.That(names.EnumerateDnsNames(), Does.Contain("localhost"));
            Assert.That(names.EnumerateIPAddresses(), Does.Contain(IPAddress.Loopback));
        }

        await using (var again = await TestServer.StartAsync(settings))
        {
            Assert.That(await File.ReadAllTextAsync(again.TlsCaBundle), Is.EqualTo(firstPem));
            using var client = SubscribeToShardTests.TlsClient(again);
            using var response = await SubscribeToShardTests.SendAsync(client, new { }, "ListStreams");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
    }
}
