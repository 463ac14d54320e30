using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace Sluice.Firehose.Tests;

[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class DeliveryTests
{
    private const string Bucket = "delivery";
    private const string BucketArn = "arn:aws:s3:::delivery";
    private DeliveryHarness _h = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _h = await DeliveryHarness.StartAsync();
        await _h.S3!.CreateBucketAsync(Bucket);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _h.DisposeAsync();

    private static string Name() => "d" + Guid.NewGuid().ToString("N")[..10];

    [Test]
    public async Task Interval_trigger_delivers_small_data_under_the_default_key_layout()
    {
        var name = Name();
        await _h.CreateAsync(name, new { BucketARN = BucketArn, Prefix = name + "/", BufferingHints = new { SizeInMBs = 5, IntervalInSeconds = 1 } });
        await _h.PutAsync(name, ["a\n", "b\n", "c\n"]);

        var keys = await _h.WaitForKeysAsync(Bucket, 1, name + "/");
        Assert.That(keys, Has.Count.EqualTo(1));
        Assert.That(keys[0], Does.Match(@$"^{name}/\d{{4}}/\d\d/\d\d/\d\d/{name}-1-\d{{4}}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9a-f]{{8}}-[0-9a-f]{{4}}-4[0-9a-f]{{3}}-[89ab][0-9a-f]{{3}}-[0-9a-f]{{12}}$"));
        Assert.That(Encoding.UTF8.GetString(await _h.GetAsync(Bucket, keys[0])), Is.EqualTo("a\nb\nc\n"));
    }

    [Test]
    public async Task Size_trigger_writes_an_object_only_once_SizeInMBs_is_buffered()
    {
        var name = Name();
        await _h.CreateAsync(name, new { BucketARN = BucketArn, Prefix = name + "/", BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 900 } });
        var chunk = new string('x', 99_999) + "\n";
        await _h.PutAsync(name, Enumerable.Repeat(chunk, 6));
        await Task.Delay(2000);
        Assert.That(await _h.ListAsync(Bucket, name + "/"), Is.Empty, "600 KB is below SizeInMBs 1 and the interval is 900 s");

        await _h.PutAsync(name, Enumerable.Repeat(chunk, 6));
        var keys = await _h.WaitForKeysAsync(Bucket, 1, name + "/");
        var body = await _h.GetAsync(Bucket, keys[0]);
        Assert.That(body.Length, Is.GreaterThanOrEqualTo(1024 * 1024).And.LessThanOrEqualTo(1_200_000));
    }

    [Test]
    public async Task Custom_prefix_evaluates_timestamp_and_random_string_expressions()
    {
        var name = Name();
        await _h.CreateAsync(name, new
        {
            BucketARN = BucketArn,
            Prefix = name + "/year=!{timestamp:yyyy}/day=!{timestamp:yyyy'-'MM'-'dd}/!{firehose:random-string}/",
            ErrorOutputPrefix = name + "-errors/!{firehose:error-output-type}/",
            BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 0 },
        });
        var now = DateTimeOffset.UtcNow;
        await _h.PutAsync(name, ["{\"n\":1}\n"]);

        var key = (await _h.WaitForKeysAsync(Bucket, 1, name + "/"))[0];
        Assert.That(key, Does.Match(@$"^{name}/year={now:yyyy}/day={now:yyyy-MM-dd}/[0-9a-f-]{{11}}/{name}-1-"));
    }

    [Test]
    public async Task Processing_failed_records_go_under_the_error_prefix_as_json_error_records()
    {
        var name = Name();
        await _h.CreateAsync(name, new
        {
            BucketARN = BucketArn,
            Prefix = name + "/ok/",
            ErrorOutputPrefix = name + "/err/!{firehose:error-output-type}/!{timestamp:yyyy}/",
            BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 0 },
            ProcessingConfiguration = new
            {
                Enabled = true,
                Processors = new[] { new { Type = "Lambda", Parameters = new[] { new { ParameterName = "LambdaArn", ParameterValue = "arn:aws:lambda:us-east-1:000000000000:function:not-mapped-" + name } } } },
            },
        });
        await _h.PutAsync(name, ["first", "second"]);

        var keys = await _h.WaitForKeysAsync(Bucket, 1, name + "/err/processing-failed/" + DateTime.UtcNow.Year + "/");
        var lines = Encoding.UTF8.GetString(await _h.GetAsync(Bucket, keys[0])).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        var record = JsonDocument.Parse(lines[0]).RootElement;
        Assert.That(Encoding.UTF8.GetString(record.GetProperty("rawData").GetBytesFromBase64()), Is.EqualTo("first"));
        Assert.That(record.GetProperty("errorCode").GetString(), Is.Not.Empty);
        Assert.That(record.GetProperty("arrivalTimestamp").GetInt64(), Is.GreaterThan(0));
        Assert.That(await _h.ListAsync(Bucket, name + "/ok/"), Is.Empty);
    }

    [Test]
    public async Task Gzip_objects_decompress_to_exactly_the_records_in_order()
    {
        var name = Name();
        await _h.CreateAsync(name, new { BucketARN = BucketArn, Prefix = name + "/", CompressionFormat = "GZIP", BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 1 } });
        var records = Enumerable.Range(0, 300).Select(i => $"{{\"i\":{i}}}\n").ToList();
        await _h.PutAsync(name, records);

        var keys = await WaitForRecordsAsync(name, records.Count, body => Gunzip(body));
        Assert.That(keys.All(k => k.EndsWith(".gz", StringComparison.Ordinal)), Is.True, string.Join(",", keys));
    }

    [Test]
    public async Task Zip_objects_decompress_to_exactly_the_records_in_order()
    {
        var name = Name();
        await _h.CreateAsync(name, new { BucketARN = BucketArn, Prefix = name + "/", CompressionFormat = "ZIP", BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 1 } });
        var records = Enumerable.Range(0, 300).Select(i => $"{{\"i\":{i}}}\n").ToList();
        await _h.PutAsync(name, records);

        var keys = await WaitForRecordsAsync(name, records.Count, body =>
        {
            using var zip = new ZipArchive(new MemoryStream(body));
            Assert.That(zip.Entries, Has.Count.EqualTo(1));
            using var reader = new StreamReader(zip.Entries[0].Open());
            return reader.ReadToEnd();
        });
        Assert.That(keys.All(k => k.EndsWith(".zip", StringComparison.Ordinal)), Is.True, string.Join(",", keys));
    }

    [Test]
    public async Task FileExtension_overrides_the_compression_extension()
    {
        var name = Name();
        await _h.CreateAsync(name, new { BucketARN = BucketArn, Prefix = name + "/", CompressionFormat = "GZIP", FileExtension = ".json.gz", BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 0 } });
        await _h.PutAsync(name, ["{}\n"]);
        var key = (await _h.WaitForKeysAsync(Bucket, 1, name + "/"))[0];
        Assert.That(key, Does.EndWith(".json.gz"));
    }

    [Test]
    public async Task Dynamic_partitioning_writes_one_object_per_jq_key_and_failures_to_the_error_prefix()
    {
        var name = Name();
        await _h.CreateAsync(name, new
        {
            BucketARN = BucketArn,
            Prefix = name + "/customer=!{partitionKeyFromQuery:customer}/",
            ErrorOutputPrefix = name + "/errors/!{firehose:error-output-type}/",
            BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 1 },
            DynamicPartitioningConfiguration = new { Enabled = true },
            ProcessingConfiguration = new
            {
                Enabled = true,
                Processors = new object[]
                {
                    new { Type = "RecordDeAggregation", Parameters = new[] { new { ParameterName = "SubRecordType", ParameterValue = "JSON" } } },
                    new { Type = "MetadataExtraction", Parameters = new[] { new { ParameterName = "MetadataExtractionQuery", ParameterValue = "{customer: .c.id}" }, new { ParameterName = "JsonParsingEngine", ParameterValue = "JQ-1.6" } } },
                    new { Type = "AppendDelimiterToRecord", Parameters = Array.Empty<object>() },
                },
            },
        });

        // The second record holds two JSON objects (aggregated by the producer); RecordDeAggregation splits them.
        await _h.PutAsync(name, ["{\"c\":{\"id\":\"a\"},\"n\":1}", "{\"c\":{\"id\":\"b\"},\"n\":2}{\"c\":{\"id\":\"a\"},\"n\":3}", "not json", "{\"c\":{\"id\":7},\"n\":4}"]);

        var a = await _h.WaitForKeysAsync(Bucket, 1, name + "/customer=a/");
        var b = await _h.WaitForKeysAsync(Bucket, 1, name + "/customer=b/");
        var seven = await _h.WaitForKeysAsync(Bucket, 1, name + "/customer=7/");
        var errors = await _h.WaitForKeysAsync(Bucket, 1, name + "/errors/partitioning-failed/");
        Assert.That(Encoding.UTF8.GetString(await _h.GetAsync(Bucket, a[0])), Is.EqualTo("{\"c\":{\"id\":\"a\"},\"n\":1}\n{\"c\":{\"id\":\"a\"},\"n\":3}\n"));
        Assert.That(Encoding.UTF8.GetString(await _h.GetAsync(Bucket, b[0])), Is.EqualTo("{\"c\":{\"id\":\"b\"},\"n\":2}\n"));
        Assert.That(Encoding.UTF8.GetString(await _h.GetAsync(Bucket, seven[0])), Is.EqualTo("{\"c\":{\"id\":7},\"n\":4}\n"));
        var failed = JsonDocument.Parse(Encoding.UTF8.GetString(await _h.GetAsync(Bucket, errors[0])).Split('\n')[0]).RootElement;
        Assert.That(Encoding.UTF8.GetString(failed.GetProperty("rawData").GetBytesFromBase64()), Is.EqualTo("not json"));
    }

    [Test]
    public async Task Source_record_backup_copies_the_untransformed_records()
    {
        var name = Name();
        await _h.CreateAsync(name, new
        {
            BucketARN = BucketArn,
            Prefix = name + "/main/",
            BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 0 },
            S3BackupMode = "Enabled",
            S3BackupConfiguration = new { BucketARN = BucketArn, Prefix = name + "/backup/", CompressionFormat = "GZIP" },
        });
        await _h.PutAsync(name, ["x\n", "y\n"]);
        var main = await _h.WaitForKeysAsync(Bucket, 1, name + "/main/");
        var backup = await _h.WaitForKeysAsync(Bucket, 1, name + "/backup/");
        Assert.That(Encoding.UTF8.GetString(await _h.GetAsync(Bucket, main[0])), Is.EqualTo("x\ny\n"));
        Assert.That(Gunzip(await _h.GetAsync(Bucket, backup[0])), Is.EqualTo("x\ny\n"));
    }

    [Test]
    public async Task Metrics_endpoint_reports_delivered_records_bytes_and_objects()
    {
        var name = Name();
        await _h.CreateAsync(name, new { BucketARN = BucketArn, Prefix = name + "/", BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 0 } });
        await _h.PutAsync(name, ["12345", "67890"]);
        await _h.WaitForKeysAsync(Bucket, 1, name + "/");
        using var http = new HttpClient();
        var json = JsonDocument.Parse(await http.GetStringAsync($"{_h.Server.Endpoint}/firehose/v1/delivery-streams/{name}/metrics")).RootElement;
        Assert.That(json.GetProperty("DeliveryToS3.Records").GetInt64(), Is.EqualTo(2));
        Assert.That(json.GetProperty("DeliveryToS3.Bytes").GetInt64(), Is.EqualTo(10));
        Assert.That(json.GetProperty("DeliveryToS3.ObjectCount").GetInt64(), Is.EqualTo(1));
        Assert.That(json.GetProperty("IncomingRecords").GetInt64(), Is.EqualTo(2));
        Assert.That(json.GetProperty("DeliveryToS3.Success").GetDouble(), Is.EqualTo(1));
    }

    /// <summary>Waits until the objects under the stream's prefix hold all records, then checks they are exactly the records in order.</summary>
    private async Task<List<string>> WaitForRecordsAsync(string name, int count, Func<byte[], string> decode)
    {
        for (var i = 0; i < 300; i++)
        {
            var keys = await _h.ListAsync(Bucket, name + "/");
            var text = new StringBuilder();
            foreach (var key in keys) text.Append(decode(await _h.GetAsync(Bucket, key)));
            var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            if (lines.Length >= count)
            {
                Assert.That(lines, Is.EqualTo(Enumerable.Range(0, count).Select(n => $"{{\"i\":{n}}}").ToArray()));
                return keys;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{count} records were not delivered within 30 s");
        return [];
    }

    private static string Gunzip(byte[] body)
    {
        using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        return reader.ReadToEnd();
    }
}

[TestFixture]
public sealed class DeliveryFilesTests
{
    [Test]
    public async Task Without_an_S3_endpoint_objects_are_written_as_files_under_the_data_dir()
    {
        await using var h = await DeliveryHarness.StartAsync(withS3: false);
        await h.CreateAsync("files", new { BucketARN = "arn:aws:s3:::local-bucket", BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 0 } });
        await h.PutAsync("files", ["one\n", "two\n"]);

        var keys = await h.WaitForKeysAsync("local-bucket", 1);
        Assert.That(keys[0], Does.Match(@"^\d{4}/\d\d/\d\d/\d\d/files-1-"));
        Assert.That(File.ReadAllText(Path.Combine(h.Server.Settings.DataDir, "s3", "local-bucket", keys[0])), Is.EqualTo("one\ntwo\n"));
    }
}
