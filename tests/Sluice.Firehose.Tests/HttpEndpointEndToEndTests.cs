using System.Text;
using System.Text.Json;
using NUnit.Framework;

namespace Sluice.Firehose.Tests;

/// <summary>boto3 puts → DirectPut → delivery → the HTTP endpoint destination → a real receiver.</summary>
[TestFixture]
public sealed class HttpEndpointEndToEndTests
{
    private ScriptServer _receiver = null!;
    private TestServer _server = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _receiver = await ScriptServer.StartAsync("http_endpoint_receiver.py");
        var settings = await TestStorage.CreateAsync(TestStorage.Sqlite);
        settings.RequireSignature = false;
        _server = await TestServer.StartAsync(settings);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _server.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Test]
    public async Task Records_put_with_boto3_arrive_at_the_HTTP_endpoint_in_order_with_the_access_key()
    {
        var name = FirehosePuts.Name("he");
        var path = "/ok?t=" + name;
        var records = Enumerable.Range(0, 50).Select(i => $"{{\"n\":{i}}}").ToList();
        await FirehosePuts.RunAsync(_server.Endpoint, new
        {
            DeliveryStreamName = name,
            DeliveryStreamType = "DirectPut",
            HttpEndpointDestinationConfiguration = new
            {
                EndpointConfiguration = new { Url = _receiver.Endpoint + path, Name = "receiver", AccessKey = "key-123456" },
                BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 1 },
                RequestConfiguration = new { ContentEncoding = "GZIP" },
                RetryOptions = new { DurationInSeconds = 60 },
                S3BackupMode = "FailedDataOnly",
                S3Configuration = new { RoleARN = FirehosePuts.Role, BucketARN = "arn:aws:s3:::http-backup" },
            },
        }, records);

        var received = new List<string>();
        var requests = new List<JsonElement>();
        for (var i = 0; i < 300 && received.Count < records.Count; i++)
        {
            await Task.Delay(100);
            requests = (await _receiver.GetJsonAsync("/requests")).EnumerateArray().Where(r => r.GetProperty("path").GetString() == path).ToList();
            received = requests.SelectMany(r => r.GetProperty("body").GetProperty("records").EnumerateArray())
                .Select(r => Encoding.UTF8.GetString(Convert.FromBase64String(r.GetProperty("data").GetString()!))).ToList();
        }

        Assert.That(received, Is.EqualTo(records));
        Assert.That(requests.Select(r => r.GetProperty("headers").GetProperty("x-amz-firehose-access-key").GetString()), Is.All.EqualTo("key-123456"));
        Assert.That(requests.Select(r => r.GetProperty("headers").GetProperty("x-amz-firehose-source-arn").GetString()), Is.All.EqualTo($"arn:aws:firehose:us-east-1:000000000000:deliverystream/{name}"));
    }
}
