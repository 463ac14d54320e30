using System.Text;
using System.Text.Json;
using NUnit.Framework;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Transform;
using Sluice.Hosting;

namespace Sluice.Firehose.Tests;

/// <summary>The Lambda-style transform hook against a real HTTP function (tests/clients/lambda_transform_server.py).</summary>
[TestFixture]
public sealed class TransformTests
{
    private const string FunctionArn = "arn:aws:lambda:us-east-1:000000000000:function:transform";
    private static readonly DateTimeOffset Arrival = DateTimeOffset.FromUnixTimeMilliseconds(1714571000123);
    private ScriptServer _lambda = null!;

    [OneTimeSetUp]
    public async Task StartFunction() => _lambda = await ScriptServer.StartAsync("lambda_transform_server.py");

    [OneTimeTearDown]
    public async Task StopFunction() => await _lambda.DisposeAsync();

    /// <summary>A transformer whose only function is served at <paramref name="path"/> (made unique per test so invocations can be told apart).</summary>
    private (RecordTransformer Transformer, string Path) Transformer(string mode, HookTimings? timings = null, string key = FunctionArn)
    {
        var path = $"/{mode}{(mode.Contains('?', StringComparison.Ordinal) ? "&" : "?")}t={Guid.NewGuid():N}";
        var settings = new SluiceSettings();
        settings.LambdaEndpoints[key] = _lambda.Endpoint + path;
        return (new RecordTransformer(new LambdaEndpointMap(settings), settings, timings ?? new HookTimings { LambdaRetryDelay = TimeSpan.FromMilliseconds(20) }), path);
    }

    private static string Config(string arn = FunctionArn, int? retries = null, string? sizeMb = null)
    {
        var parameters = new List<object> { new { ParameterName = "LambdaArn", ParameterValue = arn } };
        if (retries is not null) parameters.Add(new { ParameterName = "NumberOfRetries", ParameterValue = retries.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (sizeMb is not null) parameters.Add(new { ParameterName = "BufferSizeInMBs", ParameterValue = sizeMb });
        return JsonSerializer.Serialize(new
        {
            RoleARN = "arn:aws:iam::000000000000:role/firehose",
            BucketARN = "arn:aws:s3:::bucket",
            ProcessingConfiguration = new { Enabled = true, Processors = new[] { new { Type = "Lambda", Parameters = parameters } } },
        });
    }

    private static DeliveryStreamDefinition Stream(string config, DeliveryStreamType type = DeliveryStreamType.DirectPut, string? sourceArn = null) =>
        TransformStreams.Stream("orders-fh", DestinationKind.ExtendedS3, config, type, sourceArn);

    private static List<SourceRecord> Records(params string[] texts)
    {
        var list = new List<SourceRecord>();
        for (var i = 0; i < texts.Length; i++) list.Add(TransformStreams.Record(i, texts[i], Arrival));
        return list;
    }

    private async Task<List<JsonElement>> InvocationsAsync(string path)
    {
        var all = await _lambda.GetJsonAsync("/invocations");
        var mine = new List<JsonElement>();
        foreach (var inv in all.EnumerateArray())
        {
            if (inv.GetProperty("path").GetString() == path) mine.Add(inv.GetProperty("event"));
        }

        return mine;
    }

    private static string Text(TransformedRecord r) => Encoding.UTF8.GetString(r.Data.Span);

    [Test]
    public void FindProcessor_applies_AWS_defaults()
    {
        var (transformer, _) = Transformer("ok");
        using var _t = transformer;
        var processor = transformer.FindProcessor(Stream(Config()).DestinationConfiguration);
        Assert.That(processor, Is.EqualTo(new LambdaProcessor(FunctionArn, 3, 1.0, 60)));
    }

    [Test]
    public void FindProcessor_reads_the_Lambda_parameters()
    {
        var (transformer, _) = Transformer("ok");
        using var _t = transformer;
        var config = """
            {"ProcessingConfiguration":{"Enabled":true,"Processors":[
              {"Type":"RecordDeAggregation","Parameters":[{"ParameterName":"SubRecordType","ParameterValue":"JSON"}]},
              {"Type":"Lambda","Parameters":[{"ParameterName":"LambdaArn","ParameterValue":"fn:live"},
                {"ParameterName":"NumberOfRetries","ParameterValue":"0"},{"ParameterName":"BufferSizeInMBs","ParameterValue":"0.5"},
                {"ParameterName":"BufferIntervalInSeconds","ParameterValue":"120"}]}]}}
            """;
        Assert.That(transformer.FindProcessor(Stream(config).DestinationConfiguration), Is.EqualTo(new LambdaProcessor("fn:live", 0, 0.5, 120)));
    }

    [Test]
    public void FindProcessor_ignores_a_disabled_or_absent_processing_configuration()
    {
        var (transformer, _) = Transformer("ok");
        using var _t = transformer;
        Assert.That(transformer.FindProcessor(Stream(Config().Replace("\"Enabled\":true", "\"Enabled\":false", StringComparison.Ordinal)).DestinationConfiguration), Is.Null);
        Assert.That(transformer.FindProcessor(Stream("""{"BucketARN":"arn:aws:s3:::bucket"}""").DestinationConfiguration), Is.Null);
    }

    [Test]
    public void Lambda_endpoints_match_by_ARN_function_name_and_qualifier()
    {
        var settings = new SluiceSettings();
        settings.LambdaEndpoints["arn:aws:lambda:us-east-1:000000000000:function:orders"] = "http://127.0.0.1:1/orders";
        settings.LambdaEndpoints["orders:live"] = "http://127.0.0.1:1/orders-live";
        settings.LambdaEndpoints["other"] = "http://127.0.0.1:1/other";
        var map = new LambdaEndpointMap(settings);
        Assert.Multiple(() =>
        {
            Assert.That(map.Resolve("arn:aws:lambda:us-east-1:000000000000:function:orders"), Is.EqualTo("http://127.0.0.1:1/orders"));
            Assert.That(map.Resolve("orders"), Is.EqualTo("http://127.0.0.1:1/orders"));
            Assert.That(map.Resolve("arn:aws:lambda:us-east-1:000000000000:function:orders:live"), Is.EqualTo("http://127.0.0.1:1/orders-live"));
            Assert.That(map.Resolve("orders:$LATEST"), Is.EqualTo("http://127.0.0.1:1/orders"));
            Assert.That(map.Resolve("arn:aws:lambda:eu-west-1:111122223333:function:other:3"), Is.EqualTo("http://127.0.0.1:1/other"));
            Assert.That(map.Resolve("missing"), Is.Null);
        });
    }

    [Test]
    public async Task Transform_sends_the_Firehose_event_and_keeps_records_in_order()
    {
        var (transformer, path) = Transformer("ok");
        using var _t = transformer;
        var stream = Stream(Config());
        var records = Records("{\"id\":1}\n", "{\"id\":2}\n", "");
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, records, CancellationToken.None);

        Assert.That(results.Select(r => (r.Result, Text(r), r.Source.RecordId, r.AttemptsMade)), Is.EqualTo(records.Select(r => (TransformResult.Ok, Encoding.UTF8.GetString(r.Data.Span), r.RecordId, 1))));
        var invocations = await InvocationsAsync(path);
        Assert.That(invocations, Has.Count.EqualTo(1));
        var e = invocations[0];
        Assert.Multiple(() =>
        {
            Assert.That(Guid.TryParse(e.GetProperty("invocationId").GetString(), out _), Is.True);
            Assert.That(e.GetProperty("deliveryStreamArn").GetString(), Is.EqualTo(stream.Arn));
            Assert.That(e.GetProperty("region").GetString(), Is.EqualTo("us-east-1"));
            Assert.That(e.TryGetProperty("sourceKinesisStreamArn", out _), Is.False);
            var sent = e.GetProperty("records").EnumerateArray().ToList();
            Assert.That(sent.Select(r => r.GetProperty("recordId").GetString()), Is.EqualTo(records.Select(r => r.RecordId)));
            Assert.That(sent.Select(r => r.GetProperty("approximateArrivalTimestamp").GetInt64()), Is.All.EqualTo(1714571000123));
            Assert.That(sent.Select(r => Encoding.UTF8.GetString(Convert.FromBase64String(r.GetProperty("data").GetString()!))), Is.EqualTo(new[] { "{\"id\":1}\n", "{\"id\":2}\n", "" }));
            Assert.That(sent.Any(r => r.TryGetProperty("kinesisRecordMetadata", out _)), Is.False);
        });
    }

    [Test]
    public async Task Kinesis_source_events_carry_the_source_stream_and_record_metadata()
    {
        var (transformer, path) = Transformer("ok");
        using var _t = transformer;
        const string sourceArn = "arn:aws:kinesis:us-east-1:000000000000:stream/orders";
        var stream = Stream(Config(), DeliveryStreamType.KinesisStreamAsSource, sourceArn);
        var record = new SourceRecord("49546986683135544286507457936321625675700192471156785154", "x"u8.ToArray(), Arrival,
            new KinesisRecordMetadata("shardId-000000000001", "user-42", "49546986683135544286507457936321625675700192471156785154", 2, Arrival));
        await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, [record], CancellationToken.None);

        var e = (await InvocationsAsync(path)).Single();
        Assert.That(e.GetProperty("sourceKinesisStreamArn").GetString(), Is.EqualTo(sourceArn));
        var meta = e.GetProperty("records")[0].GetProperty("kinesisRecordMetadata");
        Assert.Multiple(() =>
        {
            Assert.That(meta.GetProperty("shardId").GetString(), Is.EqualTo("shardId-000000000001"));
            Assert.That(meta.GetProperty("partitionKey").GetString(), Is.EqualTo("user-42"));
            Assert.That(meta.GetProperty("sequenceNumber").GetString(), Is.EqualTo(record.RecordId));
            Assert.That(meta.GetProperty("subsequenceNumber").GetInt64(), Is.EqualTo(2));
            Assert.That(meta.GetProperty("approximateArrivalTimestamp").GetInt64(), Is.EqualTo(1714571000123));
        });
    }

    [Test]
    public async Task Ok_results_carry_the_transformed_data()
    {
        var (transformer, _) = Transformer("upper-case");
        using var _t = transformer;
        var stream = Stream(Config());
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records("abc", "déf"), CancellationToken.None);
        Assert.That(results.Select(Text), Is.EqualTo(new[] { "ABC", "DéF" }));
        Assert.That(results.Select(r => r.LambdaArn), Is.All.EqualTo(FunctionArn));
    }

    [Test]
    public async Task Dropped_records_come_back_Dropped()
    {
        var (transformer, _) = Transformer("drop");
        using var _t = transformer;
        var stream = Stream(Config());
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records("a", "b"), CancellationToken.None);
        Assert.That(results.Select(r => r.Result), Is.All.EqualTo(TransformResult.Dropped));
    }

    [Test]
    public async Task ProcessingFailed_results_carry_an_error_code_for_the_error_output()
    {
        var (transformer, _) = Transformer("processing-failed");
        using var _t = transformer;
        var stream = Stream(Config());
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records("a"), CancellationToken.None);
        Assert.That(results.Single().Result, Is.EqualTo(TransformResult.ProcessingFailed));
        Assert.That(results.Single().ErrorCode, Is.EqualTo("Lambda.ProcessingFailedStatus"));
        Assert.That(results.Single().LambdaArn, Is.EqualTo(FunctionArn));
    }

    [Test]
    public async Task Partition_keys_come_from_the_response_metadata()
    {
        var (transformer, _) = Transformer("partition-keys");
        using var _t = transformer;
        var stream = Stream(Config());
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records("{\"customerId\":\"42\",\"year\":2024}"), CancellationToken.None);
        Assert.That(results.Single().PartitionKeys, Is.EquivalentTo(new Dictionary<string, string> { ["customerId"] = "42", ["year"] = "2024" }));
    }

    [Test]
    public async Task A_failing_function_is_retried_NumberOfRetries_times_then_every_record_is_ProcessingFailed()
    {
        var (transformer, path) = Transformer("fail");
        using var _t = transformer;
        var stream = Stream(Config(retries: 2));
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records("a", "b"), CancellationToken.None);

        Assert.That(await InvocationsAsync(path), Has.Count.EqualTo(3));
        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Result), Is.All.EqualTo(TransformResult.ProcessingFailed));
            Assert.That(results.Select(r => r.ErrorCode), Is.All.EqualTo("Lambda.FunctionError"));
            Assert.That(results.Select(r => r.AttemptsMade), Is.All.EqualTo(3));
            Assert.That(results[0].ErrorMessage, Does.Contain("HTTP 500").And.Contain("boom from the test function"));
            Assert.That(results.Select(r => r.Source.RecordId), Is.EqualTo(new[] { TransformStreams.RecordId(0), TransformStreams.RecordId(1) }));
        });
    }

    [Test]
    public async Task A_flaky_function_succeeds_on_a_retry()
    {
        var (transformer, path) = Transformer("flaky?failures=1");
        using var _t = transformer;
        var stream = Stream(Config());
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records("a"), CancellationToken.None);
        Assert.That(results.Single().Result, Is.EqualTo(TransformResult.Ok));
        Assert.That(results.Single().AttemptsMade, Is.EqualTo(2));
        Assert.That(await InvocationsAsync(path), Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Access_denied_is_reported_as_InvokeAccessDenied()
    {
        var (transformer, _) = Transformer("denied");
        using var _t = transformer;
        var stream = Stream(Config(retries: 0));
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records("a"), CancellationToken.None);
        Assert.That(results.Single().ErrorCode, Is.EqualTo("Lambda.InvokeAccessDenied"));
        Assert.That(results.Single().AttemptsMade, Is.EqualTo(1));
    }

    [Test]
    public async Task A_response_that_is_not_JSON_fails_the_whole_invocation()
    {
        var (transformer, _) = Transformer("garbage");
        using var _t = transformer;
        var stream = Stream(Config(retries: 1));
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records("a", "b"), CancellationToken.None);
        Assert.That(results.Select(r => (r.Result, r.ErrorCode, r.AttemptsMade)), Is.All.EqualTo((TransformResult.ProcessingFailed, "Lambda.JsonProcessingException", 2)));
    }

    [Test]
    public async Task A_response_missing_a_record_id_fails_the_whole_invocation()
    {
        var (transformer, _) = Transformer("missing-id");
        using var _t = transformer;
        var stream = Stream(Config(retries: 0));
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records("a", "b", "c"), CancellationToken.None);
        Assert.That(results.Select(r => (r.Result, r.ErrorCode)), Is.All.EqualTo((TransformResult.ProcessingFailed, "Lambda.MissingRecordId")));
        Assert.That(results[0].ErrorMessage, Does.Contain("returned 2 of the 3 records"));
    }

    [Test]
    public async Task A_function_slower_than_the_timeout_fails_with_FunctionTimeout()
    {
        var (transformer, _) = Transformer("slow?seconds=5", new HookTimings { LambdaTimeout = TimeSpan.FromMilliseconds(300) });
        using var _t = transformer;
        var stream = Stream(Config(retries: 0));
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records("a"), CancellationToken.None);
        Assert.That(results.Single().ErrorCode, Is.EqualTo("Lambda.FunctionTimeout"));
    }

    [Test]
    public async Task An_ARN_without_a_mapped_endpoint_fails_with_a_clear_message()
    {
        var (transformer, path) = Transformer("ok");
        using var _t = transformer;
        var stream = Stream(Config(arn: "arn:aws:lambda:us-east-1:000000000000:function:unmapped"));
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records("a"), CancellationToken.None);
        Assert.That(results.Single().Result, Is.EqualTo(TransformResult.ProcessingFailed));
        Assert.That(results.Single().ErrorMessage, Does.Contain("unmapped").And.Contain("--lambda-endpoints"));
        Assert.That(await InvocationsAsync(path), Is.Empty);
    }

    [Test]
    public async Task Input_larger_than_the_processor_buffer_size_is_split_into_several_invocations()
    {
        var (transformer, path) = Transformer("upper-case");
        using var _t = transformer;
        var stream = Stream(Config(sizeMb: "0.2"));
        var big = new string('x', 90_000);
        var results = await transformer.TransformAsync(stream, transformer.FindProcessor(stream.DestinationConfiguration)!, Records(big + "1", big + "2", big + "3", big + "4", big + "5"), CancellationToken.None);

        var invocations = await InvocationsAsync(path);
        Assert.That(invocations.Select(e => e.GetProperty("records").GetArrayLength()).Sum(), Is.EqualTo(5));
        Assert.That(invocations, Has.Count.EqualTo(3), "0.2 MB holds two 90 KB records per invocation");
        Assert.That(results.Select(Text), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }.Select(i => new string('X', 90_000) + i)));
    }
}
