using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Firehose.Tests;

/// <summary>The delivery stream catalog over the wire: create, describe (AWS's defaults), list, update, tags, encryption, delete.</summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
[NonParallelizable]
public class ApiCatalogTests(string storage)
{
    private const string Jdbc = "jdbc:postgresql://127.0.0.1:5432/warehouse";
    private TestServer _server = null!;
    private ApiCalls _api = null!;

    [OneTimeSetUp]
    public async Task Start()
    {
        _server = await TestServer.StartAsync(await TestStorage.CreateAsync(storage));
        _api = new ApiCalls(_server.Endpoint);
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _api?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
    }

    [Test]
    public async Task CreateDeliveryStream_answers_the_ARN_and_Describe_fills_in_AWS_defaults_for_S3()
    {
        var created = await _api.CreateS3Async("orders");
        Assert.That((string?)created["DeliveryStreamARN"], Is.EqualTo("arn:aws:firehose:us-east-1:000000000000:deliverystream/orders"));
        var d = await _api.DescribeAsync("orders");
        Assert.That((string?)d["DeliveryStreamStatus"], Is.EqualTo("ACTIVE"));
        Assert.That((string?)d["DeliveryStreamType"], Is.EqualTo("DirectPut"));
        Assert.That((string?)d["VersionId"], Is.EqualTo("1"));
        Assert.That((bool?)d["HasMoreDestinations"], Is.False);
        Assert.That(d["CreateTimestamp"]!.GetValueKind(), Is.EqualTo(System.Text.Json.JsonValueKind.Number));
        Assert.That((string?)d["DeliveryStreamEncryptionConfiguration"]!["Status"], Is.EqualTo("DISABLED"));
        var destination = d["Destinations"]!.AsArray().Single()!;
        Assert.That((string?)destination["DestinationId"], Is.EqualTo("destinationId-000000000001"));
        var expectedS3 = JsonNode.Parse("""
            {"RoleARN":"arn:aws:iam::000000000000:role/firehose","BucketARN":"arn:aws:s3:::sluice-bucket",
             "BufferingHints":{"SizeInMBs":5,"IntervalInSeconds":300},"CompressionFormat":"UNCOMPRESSED",
             "EncryptionConfiguration":{"NoEncryptionConfig":"NoEncryption"},"CloudWatchLoggingOptions":{"Enabled":false}}
            """);
        Assert.That(JsonNode.DeepEquals(destination["S3DestinationDescription"], expectedS3), Is.True, destination.ToJsonString());
        var extended = destination["ExtendedS3DestinationDescription"]!.AsObject();
        Assert.That((string?)extended["S3BackupMode"], Is.EqualTo("Disabled"));
        Assert.That((string?)extended["CompressionFormat"], Is.EqualTo("UNCOMPRESSED"));
        Assert.That((bool?)extended["ProcessingConfiguration"]!["Enabled"], Is.False);
    }

    [Test]
    public async Task A_legacy_S3DestinationConfiguration_is_described_in_both_S3_forms()
    {
        await _api.OkAsync("CreateDeliveryStream", new
        {
            DeliveryStreamName = "legacy",
            S3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket, Prefix = "logs/", CompressionFormat = "GZIP", BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 60 } },
        });
        var destination = (await _api.DescribeAsync("legacy"))["Destinations"]![0]!;
        foreach (var form in new[] { "S3DestinationDescription", "ExtendedS3DestinationDescription" })
        {
            Assert.That((string?)destination[form]!["Prefix"], Is.EqualTo("logs/"));
            Assert.That((string?)destination[form]!["CompressionFormat"], Is.EqualTo("GZIP"));
            Assert.That((int?)destination[form]!["BufferingHints"]!["IntervalInSeconds"], Is.EqualTo(60));
        }
    }

    [Test]
    public async Task HttpEndpoint_description_leaves_out_the_access_key_and_fills_defaults()
    {
        await _api.OkAsync("CreateDeliveryStream", new
        {
            DeliveryStreamName = "to-http",
            HttpEndpointDestinationConfiguration = new
            {
                EndpointConfiguration = new { Url = "http://127.0.0.1:9/ingest", Name = "local", AccessKey = "secret-key" },
                S3Configuration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket },
            },
        });
        var http = (await _api.DescribeAsync("to-http"))["Destinations"]![0]!["HttpEndpointDestinationDescription"]!;
        Assert.That(http.ToJsonString(), Does.Not.Contain("secret-key"));
        Assert.That((string?)http["EndpointConfiguration"]!["Url"], Is.EqualTo("http://127.0.0.1:9/ingest"));
        Assert.That((string?)http["S3BackupMode"], Is.EqualTo("FailedDataOnly"));
        Assert.That((int?)http["RetryOptions"]!["DurationInSeconds"], Is.EqualTo(300));
        Assert.That((string?)http["RequestConfiguration"]!["ContentEncoding"], Is.EqualTo("NONE"));
        Assert.That((int?)http["BufferingHints"]!["SizeInMBs"], Is.EqualTo(5));
        Assert.That((string?)http["S3DestinationDescription"]!["CompressionFormat"], Is.EqualTo("UNCOMPRESSED"));

        var definition = _server.Services.GetDirectory().Active.Single(s => s.Name == "to-http");
        Assert.That(definition.DestinationConfiguration.GetProperty("EndpointConfiguration").GetProperty("AccessKey").GetString(), Is.EqualTo("secret-key"));
    }

    [Test]
    public async Task Redshift_destination_accepts_a_PostgreSQL_JDBC_URL_and_never_describes_the_password()
    {
        await _api.OkAsync("CreateDeliveryStream", Redshift("to-pg", Jdbc));
        var redshift = (await _api.DescribeAsync("to-pg"))["Destinations"]![0]!["RedshiftDestinationDescription"]!;
        Assert.That(redshift.ToJsonString(), Does.Not.Contain("Password").And.Not.Contain("s3cr3t-pw"));
        Assert.That((string?)redshift["ClusterJDBCURL"], Is.EqualTo(Jdbc));
        Assert.That((string?)redshift["Username"], Is.EqualTo("loader"));
        Assert.That((string?)redshift["CopyCommand"]!["DataTableName"], Is.EqualTo("events"));
        Assert.That((int?)redshift["RetryOptions"]!["DurationInSeconds"], Is.EqualTo(3600));
        Assert.That((string?)redshift["S3BackupMode"], Is.EqualTo("Disabled"));

        await _api.OkAsync("CreateDeliveryStream", Redshift("to-redshift", "jdbc:redshift://cluster.example.com:5439/dev"));
        await _api.ErrorAsync("CreateDeliveryStream", Redshift("to-mysql", "jdbc:mysql://db:3306/x"), "ValidationException");
    }

    [Test]
    public async Task Redshift_intermediate_bucket_refuses_ZIP_and_prefix_expressions()
    {
        var zip = await _api.ErrorAsync("CreateDeliveryStream", Redshift("rs-zip", Jdbc, compression: "ZIP"), "InvalidArgumentException");
        Assert.That(zip, Does.Contain("ZIP"));
        var prefix = await _api.ErrorAsync("CreateDeliveryStream", Redshift("rs-prefix", Jdbc, prefix: "x/!{timestamp:yyyy}/"), "InvalidArgumentException");
        Assert.That(prefix, Does.Contain("Prefix"));
    }

    [Test]
    public async Task Other_destination_kinds_are_InvalidArgumentException_naming_Sluice()
    {
        var message = await _api.ErrorAsync("CreateDeliveryStream", new
        {
            DeliveryStreamName = "to-splunk",
            SplunkDestinationConfiguration = new { HECEndpoint = "https://splunk", HECEndpointType = "Raw" },
        }, "InvalidArgumentException");
        Assert.That(message, Does.Contain("SplunkDestinationConfiguration is not supported by Sluice"));
    }

    [Test]
    public async Task CreateDeliveryStream_requires_exactly_one_destination()
    {
        Assert.That(await _api.ErrorAsync("CreateDeliveryStream", new { DeliveryStreamName = "none" }, "InvalidArgumentException"), Does.Contain("destination"));
        var two = await _api.ErrorAsync("CreateDeliveryStream", new
        {
            DeliveryStreamName = "two",
            ExtendedS3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket },
            S3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket },
        }, "InvalidArgumentException");
        Assert.That(two, Does.Contain("Only one destination"));
    }

    [Test]
    public async Task CreateDeliveryStream_validates_names_ARNs_and_buffering_ranges()
    {
        var name = await _api.ErrorAsync("CreateDeliveryStream", new { DeliveryStreamName = "bad name!", ExtendedS3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket } }, "ValidationException");
        Assert.That(name, Does.Contain("at 'deliveryStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern"));
        var bucket = await _api.ErrorAsync("CreateDeliveryStream", new { DeliveryStreamName = "b", ExtendedS3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = "my-bucket" } }, "ValidationException");
        Assert.That(bucket, Does.Contain("bucketARN"));
        var size = await _api.ErrorAsync("CreateDeliveryStream", new
        {
            DeliveryStreamName = "b",
            ExtendedS3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket, BufferingHints = new { SizeInMBs = 129, IntervalInSeconds = 60 } },
        }, "ValidationException");
        Assert.That(size, Does.Contain("Member must have value less than or equal to 128"));
        var interval = await _api.ErrorAsync("CreateDeliveryStream", new
        {
            DeliveryStreamName = "b",
            ExtendedS3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket, BufferingHints = new { SizeInMBs = 5, IntervalInSeconds = 901 } },
        }, "ValidationException");
        Assert.That(interval, Does.Contain("Member must have value less than or equal to 900"));
        var httpSize = await _api.ErrorAsync("CreateDeliveryStream", new
        {
            DeliveryStreamName = "b",
            HttpEndpointDestinationConfiguration = new
            {
                EndpointConfiguration = new { Url = "https://example.com" },
                BufferingHints = new { SizeInMBs = 65, IntervalInSeconds = 60 },
                S3Configuration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket },
            },
        }, "ValidationException");
        Assert.That(httpSize, Does.Contain("Member must have value less than or equal to 64"));
        var half = await _api.ErrorAsync("CreateDeliveryStream", new
        {
            DeliveryStreamName = "b",
            ExtendedS3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket, BufferingHints = new { SizeInMBs = 5 } },
        }, "InvalidArgumentException");
        Assert.That(half, Does.Contain("both SizeInMBs and IntervalInSeconds"));
        await _api.CreateS3Async("zero-buffering", new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket, BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 0 } });
    }

    [Test]
    public async Task S3_prefix_expressions_follow_the_AWS_rules()
    {
        object S3(string? prefix, string? error) => new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket, Prefix = prefix, ErrorOutputPrefix = error };
        async Task<string> Refused(string prefix, string? error) =>
            await _api.ErrorAsync("CreateDeliveryStream", new { DeliveryStreamName = "prefixes", ExtendedS3DestinationConfiguration = S3(prefix, error) }, "InvalidArgumentException");

        Assert.That(await Refused("a/!{timestamp:yyyy}/", null), Does.Contain("ErrorOutputPrefix must be specified"));
        Assert.That(await Refused("a/!{timestamp:yyyy}/", "errors/"), Does.Contain("!{firehose:error-output-type}"));
        Assert.That(await Refused("a/!{firehose:error-output-type}/", "e/!{firehose:error-output-type}/"), Does.Contain("not allowed in Prefix"));
        Assert.That(await Refused("a/!{nope:x}/", "e/!{firehose:error-output-type}/"), Does.Contain("unknown namespace 'nope'"));
        Assert.That(await Refused("a/!{timestamp:yyyy/", "e/!{firehose:error-output-type}/"), Does.Contain("unterminated"));
        Assert.That(await Refused("a/!{firehose:random}/", "e/!{firehose:error-output-type}/"), Does.Contain("random-string"));
        Assert.That(await Refused("a/!{partitionKeyFromQuery:id}/", "e/!{firehose:error-output-type}/"), Does.Contain("dynamic partitioning"));
        await _api.CreateS3Async("prefixes-ok", S3("events/year=!{timestamp:yyyy}/rnd=!{firehose:random-string}/", "errors/!{firehose:error-output-type}/!{timestamp:yyyy'-'MM}/"));
        await _api.CreateS3Async("prefix-literal", S3("plain/", null));
    }

    [Test]
    public async Task CreateDeliveryStream_refuses_a_name_in_use()
    {
        await _api.CreateS3Async("twice");
        var message = await _api.ErrorAsync("CreateDeliveryStream", new { DeliveryStreamName = "twice", ExtendedS3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket } }, "ResourceInUseException");
        Assert.That(message, Is.EqualTo("Firehose twice under accountId 000000000000 already exists"));
    }

    [Test]
    public async Task KinesisStreamAsSource_needs_an_existing_stream_and_describes_its_source()
    {
        var missing = await _api.ErrorAsync("CreateDeliveryStream", KinesisSourced("ks-missing", "no-such-stream"), "InvalidArgumentException");
        Assert.That(missing, Does.Contain("no-such-stream"));
        await _api.Kinesis.OkAsync("CreateStream", new { StreamName = "clicks", ShardCount = 2 });
        await _api.OkAsync("CreateDeliveryStream", KinesisSourced("ks-clicks", "clicks"));
        var d = await _api.DescribeAsync("ks-clicks");
        Assert.That((string?)d["DeliveryStreamType"], Is.EqualTo("KinesisStreamAsSource"));
        var source = d["Source"]!["KinesisStreamSourceDescription"]!;
        Assert.That((string?)source["KinesisStreamARN"], Is.EqualTo("arn:aws:kinesis:us-east-1:000000000000:stream/clicks"));
        Assert.That((string?)source["RoleARN"], Is.EqualTo(ApiCalls.Role));
        Assert.That((double?)source["DeliveryStartTimestamp"], Is.EqualTo((double?)d["CreateTimestamp"]));
        Assert.That(_server.Services.GetDirectory().Active.Single(s => s.Name == "ks-clicks").SourceStreamName, Is.EqualTo("clicks"));
        var encrypted = await _api.ErrorAsync("StartDeliveryStreamEncryption", new { DeliveryStreamName = "ks-clicks" }, "InvalidArgumentException");
        Assert.That(encrypted, Does.Contain("DirectPut"));
    }

    [Test]
    public async Task ListDeliveryStreams_pages_alphabetically_ten_by_default_and_filters_by_type()
    {
        var names = Enumerable.Range(0, 12).Select(i => $"list-{i:D2}").ToList();
        foreach (var name in names.AsEnumerable().Reverse()) await _api.CreateS3Async(name);
        var first = await _api.OkAsync("ListDeliveryStreams", new { ExclusiveStartDeliveryStreamName = "list-" });
        Assert.That(first["DeliveryStreamNames"]!.AsArray().Select(n => (string?)n), Is.EqualTo(names.Take(10)));
        Assert.That((bool?)first["HasMoreDeliveryStreams"], Is.True);
        var rest = await _api.OkAsync("ListDeliveryStreams", new { ExclusiveStartDeliveryStreamName = "list-09", Limit = 2 });
        Assert.That(rest["DeliveryStreamNames"]!.AsArray().Select(n => (string?)n), Is.EqualTo(names.Skip(10)));
        var all = await _api.OkAsync("ListDeliveryStreams", new { Limit = 10000, DeliveryStreamType = "KinesisStreamAsSource" });
        Assert.That(all["DeliveryStreamNames"]!.AsArray().Select(n => (string?)n), Has.None.StartsWith("list-"));
        await _api.ErrorAsync("ListDeliveryStreams", new { Limit = 0 }, "ValidationException");
    }

    [Test]
    public async Task UpdateDestination_merges_the_same_kind_and_raises_the_version()
    {
        await _api.CreateS3Async("upd", new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket, Prefix = "v1/", BufferingHints = new { SizeInMBs = 1, IntervalInSeconds = 60 } });
        var changes = 0;
        var directory = _server.Services.GetDirectory();
        void OnChanged() => Interlocked.Increment(ref changes);
        directory.Changed += OnChanged;
        try
        {
            await _api.OkAsync("UpdateDestination", new
            {
                DeliveryStreamName = "upd",
                CurrentDeliveryStreamVersionId = "1",
                DestinationId = "destinationId-000000000001",
                ExtendedS3DestinationUpdate = new { CompressionFormat = "GZIP" },
            });
        }
        finally
        {
            directory.Changed -= OnChanged;
        }

        Assert.That(changes, Is.EqualTo(1));
        var d = await _api.DescribeAsync("upd");
        Assert.That((string?)d["VersionId"], Is.EqualTo("2"));
        Assert.That(d["LastUpdateTimestamp"], Is.Not.Null);
        var s3 = d["Destinations"]![0]!["ExtendedS3DestinationDescription"]!;
        Assert.That((string?)s3["CompressionFormat"], Is.EqualTo("GZIP"));
        Assert.That((string?)s3["Prefix"], Is.EqualTo("v1/"));
        Assert.That((int?)s3["BufferingHints"]!["IntervalInSeconds"], Is.EqualTo(60));
        Assert.That(directory.Active.Single(s => s.Name == "upd").VersionId, Is.EqualTo("2"));

        var stale = await _api.ErrorAsync("UpdateDestination", new
        {
            DeliveryStreamName = "upd",
            CurrentDeliveryStreamVersionId = "1",
            DestinationId = "destinationId-000000000001",
            ExtendedS3DestinationUpdate = new { Prefix = "v3/" },
        }, "ConcurrentModificationException");
        Assert.That(stale, Does.Contain("version id"));
    }

    [Test]
    public async Task UpdateDestination_to_another_kind_replaces_it_and_needs_its_required_fields()
    {
        await _api.CreateS3Async("upd-kind");
        await _api.ErrorAsync("UpdateDestination", new
        {
            DeliveryStreamName = "upd-kind",
            CurrentDeliveryStreamVersionId = "1",
            DestinationId = "destinationId-000000000001",
            HttpEndpointDestinationUpdate = new { EndpointConfiguration = new { Url = "https://example.com" } },
        }, "ValidationException");
        await _api.OkAsync("UpdateDestination", new
        {
            DeliveryStreamName = "upd-kind",
            CurrentDeliveryStreamVersionId = "1",
            DestinationId = "destinationId-000000000001",
            HttpEndpointDestinationUpdate = new
            {
                EndpointConfiguration = new { Url = "https://example.com" },
                S3Update = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket },
            },
        });
        var destination = (await _api.DescribeAsync("upd-kind"))["Destinations"]![0]!.AsObject();
        Assert.That(destination.Select(p => p.Key), Is.EquivalentTo(new[] { "DestinationId", "HttpEndpointDestinationDescription" }));
        Assert.That((string?)destination["HttpEndpointDestinationDescription"]!["S3DestinationDescription"]!["BucketARN"], Is.EqualTo(ApiCalls.Bucket));
    }

    [Test]
    public async Task UpdateDestination_keeps_the_one_way_switches()
    {
        await _api.CreateS3Async("one-way", new
        {
            RoleARN = ApiCalls.Role,
            BucketARN = ApiCalls.Bucket,
            S3BackupMode = "Enabled",
            S3BackupConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = "arn:aws:s3:::backup" },
        });
        var backup = await _api.ErrorAsync("UpdateDestination", Update("one-way", "1", new { S3BackupMode = "Disabled" }), "InvalidArgumentException");
        Assert.That(backup, Does.Contain("cannot be disabled once enabled"));
        var dynamic = await _api.ErrorAsync("UpdateDestination", Update("one-way", "1", new
        {
            DynamicPartitioningConfiguration = new { Enabled = true },
            Prefix = "p/!{partitionKeyFromQuery:id}/",
            ErrorOutputPrefix = "e/!{firehose:error-output-type}/",
        }), "InvalidArgumentException");
        Assert.That(dynamic, Does.Contain("only be enabled when the delivery stream is created"));
        Assert.That((string?)(await _api.DescribeAsync("one-way"))["VersionId"], Is.EqualTo("1"));
    }

    [Test]
    public async Task Tags_are_added_replaced_listed_in_pages_and_removed()
    {
        await _api.OkAsync("CreateDeliveryStream", new
        {
            DeliveryStreamName = "tagged",
            ExtendedS3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket },
            Tags = new[] { new { Key = "team", Value = "data" } },
        });
        await _api.OkAsync("TagDeliveryStream", new { DeliveryStreamName = "tagged", Tags = new[] { new { Key = "env", Value = "prod" }, new { Key = "team", Value = "ops" } } });
        var page = await _api.OkAsync("ListTagsForDeliveryStream", new { DeliveryStreamName = "tagged", Limit = 1 });
        Assert.That(page["Tags"]!.ToJsonString(), Is.EqualTo("""[{"Key":"env","Value":"prod"}]"""));
        Assert.That((bool?)page["HasMoreTags"], Is.True);
        var next = await _api.OkAsync("ListTagsForDeliveryStream", new { DeliveryStreamName = "tagged", ExclusiveStartTagKey = "env" });
        Assert.That(next["Tags"]!.ToJsonString(), Is.EqualTo("""[{"Key":"team","Value":"ops"}]"""));
        Assert.That((bool?)next["HasMoreTags"], Is.False);
        await _api.OkAsync("UntagDeliveryStream", new { DeliveryStreamName = "tagged", TagKeys = new[] { "team", "unknown" } });
        var left = await _api.OkAsync("ListTagsForDeliveryStream", new { DeliveryStreamName = "tagged" });
        Assert.That(left["Tags"]!.ToJsonString(), Is.EqualTo("""[{"Key":"env","Value":"prod"}]"""));

        var reserved = await _api.ErrorAsync("TagDeliveryStream", new { DeliveryStreamName = "tagged", Tags = new[] { new { Key = "aws:x", Value = "y" } } }, "ValidationException");
        Assert.That(reserved, Does.Contain("tags.1.member.key"));
        var many = Enumerable.Range(0, 50).Select(i => new { Key = $"k{i}", Value = "v" }).ToArray();
        var limit = await _api.ErrorAsync("TagDeliveryStream", new { DeliveryStreamName = "tagged", Tags = many }, "LimitExceededException");
        Assert.That(limit, Does.Contain("50"));
    }

    [Test]
    public async Task Encryption_moves_through_ENABLING_to_ENABLED_and_puts_report_it()
    {
        await _api.CreateS3Async("sse");
        await _api.OkAsync("StartDeliveryStreamEncryption", new { DeliveryStreamName = "sse", DeliveryStreamEncryptionConfigurationInput = new { KeyType = "AWS_OWNED_CMK" } });
        var status = (string?)(await _api.DescribeAsync("sse"))["DeliveryStreamEncryptionConfiguration"]!["Status"];
        Assert.That(status, Is.AnyOf("ENABLING", "ENABLED"));
        var encryption = await WaitForEncryptionAsync("sse", "ENABLED");
        Assert.That((string?)encryption["KeyType"], Is.EqualTo("AWS_OWNED_CMK"));
        var put = await _api.OkAsync("PutRecord", new { DeliveryStreamName = "sse", Record = new { Data = "YQ==" } });
        Assert.That((bool?)put["Encrypted"], Is.True);

        await _api.OkAsync("StopDeliveryStreamEncryption", new { DeliveryStreamName = "sse" });
        await WaitForEncryptionAsync("sse", "DISABLED");
        var batch = await _api.OkAsync("PutRecordBatch", new { DeliveryStreamName = "sse", Records = new[] { new { Data = "YQ==" } } });
        Assert.That((bool?)batch["Encrypted"], Is.False);

        var noKey = await _api.ErrorAsync("StartDeliveryStreamEncryption", new { DeliveryStreamName = "sse", DeliveryStreamEncryptionConfigurationInput = new { KeyType = "CUSTOMER_MANAGED_CMK" } }, "InvalidArgumentException");
        Assert.That(noKey, Does.Contain("KeyARN"));
    }

    [Test]
    public async Task Operations_on_a_missing_delivery_stream_are_ResourceNotFoundException()
    {
        foreach (var op in new[] { "DescribeDeliveryStream", "DeleteDeliveryStream", "ListTagsForDeliveryStream", "StopDeliveryStreamEncryption" })
        {
            var message = await _api.ErrorAsync(op, new { DeliveryStreamName = "ghost" }, "ResourceNotFoundException");
            Assert.That(message, Is.EqualTo("Firehose ghost under account 000000000000 not found."), op);
        }

        await _api.ErrorAsync("UpdateDestination", Update("ghost", "1", new { Prefix = "x/" }), "ResourceNotFoundException");
    }

    private async Task<JsonNode> WaitForEncryptionAsync(string name, string status)
    {
        for (var i = 0; i < 100; i++)
        {
            var encryption = (await _api.DescribeAsync(name))["DeliveryStreamEncryptionConfiguration"]!;
            if ((string?)encryption["Status"] == status) return encryption;
            await Task.Delay(50);
        }

        Assert.Fail($"{name} encryption did not become {status}");
        return null!;
    }

    private static object Update(string name, string version, object extendedS3) => new
    {
        DeliveryStreamName = name,
        CurrentDeliveryStreamVersionId = version,
        DestinationId = "destinationId-000000000001",
        ExtendedS3DestinationUpdate = extendedS3,
    };

    private static object KinesisSourced(string name, string stream) => new
    {
        DeliveryStreamName = name,
        DeliveryStreamType = "KinesisStreamAsSource",
        KinesisStreamSourceConfiguration = new { KinesisStreamARN = "arn:aws:kinesis:us-east-1:000000000000:stream/" + stream, RoleARN = ApiCalls.Role },
        ExtendedS3DestinationConfiguration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket },
    };

    private static object Redshift(string name, string jdbc, string compression = "UNCOMPRESSED", string? prefix = null) => new
    {
        DeliveryStreamName = name,
        RedshiftDestinationConfiguration = new
        {
            RoleARN = ApiCalls.Role,
            ClusterJDBCURL = jdbc,
            CopyCommand = new { DataTableName = "events", DataTableColumns = "id,body", CopyOptions = "JSON 'auto'" },
            Username = "loader",
            Password = "s3cr3t-pw",
            S3Configuration = new { RoleARN = ApiCalls.Role, BucketARN = ApiCalls.Bucket, CompressionFormat = compression, Prefix = prefix },
        },
    };
}
