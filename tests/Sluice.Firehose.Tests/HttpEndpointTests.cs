using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Destinations;
using Sluice.Firehose.Transform;

namespace Sluice.Firehose.Tests;

/// <summary>The HTTP endpoint destination against a real receiver (tests/clients/http_endpoint_receiver.py) that checks the Firehose contract.</summary>
[TestFixture]
public sealed class HttpEndpointTests
{
    private static readonly HookTimings FastRetries = new() { HttpEndpointInitialBackoff = TimeSpan.FromMilliseconds(20), HttpEndpointMaxBackoff = TimeSpan.FromMilliseconds(200) };
    private ScriptServer _receiver = null!;
    private HttpEndpointDestination _destination = null!;

    [OneTimeSetUp]
    public async Task StartReceiver()
    {
        _receiver = await ScriptServer.StartAsync("http_endpoint_receiver.py");
        _destination = new HttpEndpointDestination(FastRetries, TimeProvider.System, NullLogger<HttpEndpointDestination>.Instance);
    }

    [OneTimeTearDown]
    public async Task StopReceiver()
    {
        _destination.Dispose();
        await _receiver.DisposeAsync();
    }

    /// <summary>A URL on the receiver unique to the test, so its requests can be told apart.</summary>
    private string Url(string mode) => $"{_receiver.Endpoint}/{mode}{(mode.Contains('?', StringComparison.Ordinal) ? "&" : "?")}t={Guid.NewGuid():N}";

    private static DeliveryStreamDefinition Stream(string url, string? accessKey = null, bool gzip = false, int? retrySeconds = null, string name = "clicks-http")
    {
        var config = new Dictionary<string, object>
        {
            ["EndpointConfiguration"] = accessKey is null ? new { Url = url, Name = "receiver" } : new { Url = url, Name = "receiver", AccessKey = accessKey },
            ["RequestConfiguration"] = new
            {
                ContentEncoding = gzip ? "GZIP" : "NONE",
                CommonAttributes = new[] { new { AttributeName = "env", AttributeValue = "test" }, new { AttributeName = "team", AttributeValue = "data" } },
            },
            ["S3BackupMode"] = "FailedDataOnly",
            ["S3Configuration"] = new { RoleARN = "arn:aws:iam::000000000000:role/firehose", BucketARN = "arn:aws:s3:::backup" },
        };
        if (retrySeconds is not null) config["RetryOptions"] = new { DurationInSeconds = retrySeconds.Value };
        return TransformStreams.Stream(name, DestinationKind.HttpEndpoint, JsonSerializer.Serialize(config));
    }

    private async Task<List<JsonElement>> RequestsAsync(string url)
    {
        var path = url[_receiver.Endpoint.Length..];
        var all = await _receiver.GetJsonAsync("/requests");
        return all.EnumerateArray().Where(r => r.GetProperty("path").GetString() == path).ToList();
    }

    private static List<string> Records(JsonElement request) =>
        request.GetProperty("body").GetProperty("records").EnumerateArray().Select(r => Encoding.UTF8.GetString(Convert.FromBase64String(r.GetProperty("data").GetString()!))).ToList();

    [Test]
    public async Task Delivers_a_batch_with_the_Firehose_headers_and_body()
    {
        var url = Url("ok");
        var stream = Stream(url, accessKey: "secret-key-1");
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(stream, "batch-1", "{\"a\":1}\n", "two", ""), CancellationToken.None);

        Assert.That(outcome, Is.EqualTo(DeliveryOutcome.Success(1)));
        var request = (await RequestsAsync(url)).Single();
        var headers = request.GetProperty("headers");
        var body = request.GetProperty("body");
        Assert.Multiple(() =>
        {
            Assert.That(headers.GetProperty("content-type").GetString(), Is.EqualTo("application/json"));
            Assert.That(headers.GetProperty("x-amz-firehose-protocol-version").GetString(), Is.EqualTo("1.0"));
            Assert.That(Guid.TryParse(headers.GetProperty("x-amz-firehose-request-id").GetString(), out _), Is.True);
            Assert.That(headers.GetProperty("x-amz-firehose-source-arn").GetString(), Is.EqualTo(stream.Arn));
            Assert.That(headers.GetProperty("x-amz-firehose-access-key").GetString(), Is.EqualTo("secret-key-1"));
            Assert.That(headers.TryGetProperty("content-encoding", out _), Is.False);
            var common = JsonDocument.Parse(headers.GetProperty("x-amz-firehose-common-attributes").GetString()!).RootElement.GetProperty("commonAttributes");
            Assert.That(common.GetProperty("env").GetString(), Is.EqualTo("test"));
            Assert.That(common.GetProperty("team").GetString(), Is.EqualTo("data"));
            Assert.That(body.GetProperty("requestId").GetString(), Is.EqualTo(headers.GetProperty("x-amz-firehose-request-id").GetString()));
            Assert.That(body.GetProperty("timestamp").GetInt64(), Is.GreaterThan(DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeMilliseconds()));
            Assert.That(Records(request), Is.EqualTo(new[] { "{\"a\":1}\n", "two", "" }));
        });
    }

    [Test]
    public async Task Without_an_access_key_the_access_key_header_is_left_out()
    {
        var url = Url("ok");
        await _destination.DeliverAsync(TransformStreams.Batch(Stream(url), "batch-1", "x"), CancellationToken.None);
        Assert.That((await RequestsAsync(url)).Single().GetProperty("headers").TryGetProperty("x-amz-firehose-access-key", out _), Is.False);
    }

    [Test]
    public async Task GZIP_content_encoding_compresses_the_body()
    {
        var url = Url("ok");
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(Stream(url, gzip: true), "batch-gz", "hello", "world"), CancellationToken.None);
        Assert.That(outcome.Delivered, Is.True);
        var request = (await RequestsAsync(url)).Single();
        Assert.That(request.GetProperty("headers").GetProperty("content-encoding").GetString(), Is.EqualTo("gzip"));
        Assert.That(Records(request), Is.EqualTo(new[] { "hello", "world" }));
    }

    [Test]
    public async Task A_redelivered_batch_carries_the_same_request_id_and_another_batch_a_different_one()
    {
        var url = Url("ok");
        var stream = Stream(url);
        await _destination.DeliverAsync(TransformStreams.Batch(stream, "shardId-000000000000-49600-49610", "a"), CancellationToken.None);
        await _destination.DeliverAsync(TransformStreams.Batch(stream, "shardId-000000000000-49600-49610", "a"), CancellationToken.None);
        await _destination.DeliverAsync(TransformStreams.Batch(stream, "shardId-000000000000-49611-49620", "b"), CancellationToken.None);
        var ids = (await RequestsAsync(url)).Select(r => r.GetProperty("headers").GetProperty("x-amz-firehose-request-id").GetString()).ToList();
        Assert.That(ids, Has.Count.EqualTo(3));
        Assert.That(ids[1], Is.EqualTo(ids[0]));
        Assert.That(ids[2], Is.Not.EqualTo(ids[0]));
    }

    [Test]
    public async Task A_failing_endpoint_is_retried_with_the_same_request_id_until_it_answers_200()
    {
        var url = Url("flaky?failures=2");
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(Stream(url), "batch-flaky", "a", "b"), CancellationToken.None);

        Assert.That(outcome, Is.EqualTo(DeliveryOutcome.Success(3)));
        var requests = await RequestsAsync(url);
        Assert.That(requests, Has.Count.EqualTo(3));
        Assert.That(requests.Select(r => r.GetProperty("headers").GetProperty("x-amz-firehose-request-id").GetString()).Distinct().Count(), Is.EqualTo(1));
    }

    [Test]
    public async Task An_endpoint_that_keeps_failing_fails_the_batch_after_the_retry_duration_with_the_last_error()
    {
        var url = Url("status?code=503");
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(Stream(url, retrySeconds: 1), "batch-down", "a"), CancellationToken.None);

        var requests = await RequestsAsync(url);
        Assert.Multiple(() =>
        {
            Assert.That(outcome.Delivered, Is.False);
            Assert.That(outcome.ErrorCode, Is.EqualTo("HttpEndpoint.DestinationException"));
            Assert.That(outcome.ErrorMessage, Does.StartWith("Received the following response from the endpoint destination. 503").And.Contain("the test endpoint refused"));
            Assert.That(outcome.AttemptsMade, Is.EqualTo(requests.Count));
            Assert.That(requests, Has.Count.GreaterThan(2), "backoff of 20 ms doubling to 200 ms leaves room for several retries in 1 s");
        });
    }

    [Test]
    public async Task A_zero_retry_duration_makes_a_single_attempt()
    {
        var url = Url("status?code=500");
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(Stream(url, retrySeconds: 0), "batch-once", "a"), CancellationToken.None);
        Assert.That(outcome.Delivered, Is.False);
        Assert.That(outcome.AttemptsMade, Is.EqualTo(1));
        Assert.That(await RequestsAsync(url), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_413_answer_is_a_permanent_failure_and_is_not_retried()
    {
        var url = Url("status?code=413");
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(Stream(url, retrySeconds: 60), "batch-big", "a"), CancellationToken.None);
        Assert.That(outcome.Delivered, Is.False);
        Assert.That(outcome.ErrorCode, Is.EqualTo("HttpEndpoint.RequestEntityTooLarge"));
        Assert.That(await RequestsAsync(url), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_200_with_another_request_id_does_not_count_as_delivered()
    {
        var url = Url("wrong-id");
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(Stream(url, retrySeconds: 0), "batch-wrong", "a"), CancellationToken.None);
        Assert.That(outcome.Delivered, Is.False);
        Assert.That(outcome.ErrorMessage, Does.Contain("does not match"));
    }

    [Test]
    public async Task A_200_without_a_JSON_body_does_not_count_as_delivered()
    {
        var url = Url("not-json");
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(Stream(url, retrySeconds: 0), "batch-html", "a"), CancellationToken.None);
        Assert.That(outcome.Delivered, Is.False);
        Assert.That(outcome.ErrorMessage, Does.Contain("does not conform"));
    }

    [Test]
    public async Task An_unreachable_endpoint_fails_after_the_retry_duration_naming_the_connection_error()
    {
        var url = $"http://127.0.0.1:{TestStorage.FreePort()}/ingest";
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(Stream(url, retrySeconds: 0), "batch-nowhere", "a"), CancellationToken.None);
        Assert.That(outcome.Delivered, Is.False);
        Assert.That(outcome.ErrorCode, Is.EqualTo("HttpEndpoint.DestinationException"));
        Assert.That(outcome.ErrorMessage, Does.Contain("Unable to connect").And.Contain(url));
    }

    [Test]
    public async Task A_batch_of_more_than_10000_records_is_sent_as_several_requests()
    {
        var url = Url("ok");
        var records = Enumerable.Range(0, 10_001).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var outcome = await _destination.DeliverAsync(TransformStreams.Batch(Stream(url), "batch-many", records), CancellationToken.None);

        Assert.That(outcome, Is.EqualTo(DeliveryOutcome.Success(2)));
        var requests = await RequestsAsync(url);
        Assert.That(requests.Select(r => Records(r).Count), Is.EqualTo(new[] { 10_000, 1 }));
        Assert.That(requests.SelectMany(Records), Is.EqualTo(records));
        Assert.That(requests[0].GetProperty("body").GetProperty("requestId").GetString(), Is.Not.EqualTo(requests[1].GetProperty("body").GetProperty("requestId").GetString()));
    }

    [Test]
    public void Request_ids_are_GUIDs_fixed_by_stream_batch_and_part()
    {
        var a = HttpEndpointDestination.RequestId("arn:s", "b1", 0);
        Assert.That(HttpEndpointDestination.RequestId("arn:s", "b1", 0), Is.EqualTo(a));
        Assert.That(HttpEndpointDestination.RequestId("arn:s", "b1", 1), Is.Not.EqualTo(a));
        Assert.That(HttpEndpointDestination.RequestId("arn:t", "b1", 0), Is.Not.EqualTo(a));
        Assert.That(Guid.Parse(a).Version, Is.EqualTo(5));
    }
}
