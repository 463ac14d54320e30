using System.Text;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Streams.Tests;

/// <summary>The AWS JSON 1.1 front door: the request-handling order and error bodies AWS uses.</summary>
public class ProtocolTests
{
    private TestServer _server = null!;
    private KinesisCaller _kinesis = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await TestServer.StartAsync(await TestStorage.CreateAsync(TestStorage.Sqlite));
        _kinesis = new KinesisCaller(_server.Endpoint);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _kinesis.Dispose();
        await _server.DisposeAsync();
    }

    [Test]
    public async Task Non_post_requests_are_access_denied()
    {
        using var http = new HttpClient();
        var response = await http.GetAsync(_server.Endpoint + "/");
        Assert.That((int)response.StatusCode, Is.EqualTo(403));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("AccessDeniedException"));
    }

    [Test]
    public async Task Unknown_operation_is_reported_with_its_type()
    {
        var reply = await _kinesis.SendAsync("NoSuchThing", "{}");
        Assert.That(reply.Status, Is.EqualTo(400));
        Assert.That((string?)reply.Json["__type"], Is.EqualTo("UnknownOperationException"));
        Assert.That(reply.RequestId, Is.Not.Null.And.Not.Empty);
    }

    [Test]
    public async Task Unknown_service_prefix_is_an_unknown_operation()
    {
        var reply = await _kinesis.SendAsync("ListStreams", "{}", target: "DynamoDB_20120810");
        Assert.That((string?)reply.Json["__type"], Is.EqualTo("UnknownOperationException"));
    }

    [Test]
    public async Task Malformed_json_is_a_serialization_exception()
    {
        var reply = await _kinesis.SendAsync("ListStreams", "{not json");
        Assert.That(reply.Status, Is.EqualTo(400));
        Assert.That((string?)reply.Json["__type"], Is.EqualTo("SerializationException"));
    }

    [Test]
    public async Task Empty_body_on_a_known_operation_is_a_serialization_exception()
    {
        var reply = await _kinesis.SendAsync("ListStreams", "");
        Assert.That((string?)reply.Json["__type"], Is.EqualTo("SerializationException"));
    }

    [Test]
    public async Task Unsigned_requests_miss_the_authentication_token()
    {
        var reply = await _kinesis.SendAsync("ListStreams", "{}", sign: false);
        Assert.That(reply.Status, Is.EqualTo(400));
        Assert.That((string?)reply.Json["__type"], Is.EqualTo("MissingAuthenticationTokenException"));
        Assert.That((string?)reply.Json["message"], Is.EqualTo("Missing Authentication Token"));
    }

    [Test]
    public async Task Unknown_content_type_is_not_found()
    {
        var reply = await _kinesis.SendAsync("ListStreams", "{}", contentType: "text/plain");
        Assert.That(reply.Status, Is.EqualTo(404));
    }

    [Test]
    public async Task Wrong_member_types_are_serialization_exceptions()
    {
        var reply = await _kinesis.SendAsync("CreateStream", """{"StreamName":123,"ShardCount":1}""");
        Assert.That((string?)reply.Json["__type"], Is.EqualTo("SerializationException"));
        Assert.That((string?)reply.Json["message"], Is.EqualTo("class java.math.BigDecimal can not be converted to an String"));
        reply = await _kinesis.SendAsync("CreateStream", """{"StreamName":"x","ShardCount":"1"}""");
        Assert.That((string?)reply.Json["message"], Is.EqualTo("class java.lang.String can not be converted to an Integer"));
        reply = await _kinesis.SendAsync("CreateStream", """{"StreamName":["x"],"ShardCount":1}""");
        Assert.That((string?)reply.Json["message"], Is.EqualTo("Start of list found where not expected"));
    }

    [Test]
    public async Task Bad_base64_is_a_serialization_exception_and_stores_nothing()
    {
        await _kinesis.OkAsync("CreateStream", new { StreamName = "b64", ShardCount = 1 });
        var reply = await _kinesis.SendAsync("PutRecord", """{"StreamName":"b64","PartitionKey":"k","Data":"abc"}""");
        Assert.That((string?)reply.Json["__type"], Is.EqualTo("SerializationException"));
        Assert.That((string?)reply.Json["message"], Does.Contain("Base64 encoded length is expected a multiple of 4 bytes but found: 3"));
        var iterator = (string)(await _kinesis.OkAsync("GetShardIterator", new { StreamName = "b64", ShardId = "shardId-000000000000", ShardIteratorType = "TRIM_HORIZON" }))["ShardIterator"]!;
        var records = await _kinesis.OkAsync("GetRecords", new { ShardIterator = iterator });
        Assert.That(records["Records"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task Validation_errors_list_each_failed_constraint_coral_style()
    {
        var message = await _kinesis.ErrorAsync("CreateStream", new { StreamName = "bad name!", ShardCount = 0 }, "ValidationException");
        Assert.That(message, Is.EqualTo(
            "2 validation errors detected: Value 'bad name!' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
            "Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1"));
    }

    [Test]
    public async Task Missing_required_members_are_named()
    {
        var message = await _kinesis.ErrorAsync("PutRecord", new { StreamName = "x" }, "ValidationException");
        Assert.That(message, Is.EqualTo(
            "2 validation errors detected: Value null at 'data' failed to satisfy constraint: Member must not be null; " +
            "Value null at 'partitionKey' failed to satisfy constraint: Member must not be null"));
    }

    [Test]
    public async Task Oversize_bodies_get_413_and_change_nothing()
    {
        var big = new StringBuilder("{\"StreamName\":\"huge\",\"ShardCount\":1,\"Pad\":\"").Append('x', 8 * 1024 * 1024).Append("\"}").ToString();
        var reply = await _kinesis.SendAsync("CreateStream", big);
        Assert.That(reply.Status, Is.EqualTo(413));
        await _kinesis.ErrorAsync("DescribeStreamSummary", new { StreamName = "huge" }, "ResourceNotFoundException");
    }

    [Test]
    public async Task Null_members_count_as_absent()
    {
        var reply = await _kinesis.SendAsync("ListStreams", """{"Limit":null,"ExclusiveStartStreamName":null}""");
        Assert.That(reply.Status, Is.EqualTo(200));
        Assert.That(reply.Json["StreamNames"], Is.InstanceOf<JsonArray>());
    }
}
