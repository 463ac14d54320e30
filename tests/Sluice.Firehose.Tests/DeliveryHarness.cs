using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Tests;

/// <summary>A delivery stream directory the test fills by hand (before the API exists, and to control versions exactly).</summary>
internal sealed class TestDirectory : IDeliveryStreamDirectory
{
    private volatile IReadOnlyList<DeliveryStreamDefinition> _active = [];

    public IReadOnlyList<DeliveryStreamDefinition> Active => _active;

    public event Action? Changed;

    public void Set(params DeliveryStreamDefinition[] streams)
    {
        _active = streams;
        Changed?.Invoke();
    }
}

/// <summary>The all-in-one host with s3rver (or the files destination), a hand-filled directory and DirectPut through the backing stream.</summary>
internal sealed class DeliveryHarness : IAsyncDisposable
{
    private DeliveryHarness(TestServer server, S3Server? s3, TestDirectory directory)
    {
        Server = server;
        S3 = s3;
        Directory = directory;
        Kinesis = new KinesisCaller(server.Endpoint);
    }

    public TestServer Server { get; }

    public S3Server? S3 { get; }

    public TestDirectory Directory { get; }

    public KinesisCaller Kinesis { get; }

    public static async Task<DeliveryHarness> StartAsync(bool withS3 = true)
    {
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", S3Server.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", S3Server.SecretKey);
        var s3 = withS3 ? await S3Server.StartAsync() : null;
        var settings = await TestStorage.CreateAsync(TestStorage.Sqlite);
        settings.S3Endpoint = s3?.Endpoint;
        var directory = new TestDirectory();
        var server = await TestServer.StartAsync(settings, services => services.AddSingleton<IDeliveryStreamDirectory>(directory));
        return new DeliveryHarness(server, s3, directory);
    }

    /// <summary>Creates the backing stream and announces an ExtendedS3 DirectPut delivery stream with this configuration.</summary>
    public async Task<DeliveryStreamDefinition> CreateAsync(string name, object extendedS3, int shards = 1, string version = "1")
    {
        var backing = DeliveryStreamDefinition.BackingStreamName(name);
        await Kinesis.OkAsync("CreateStream", new { StreamName = backing, ShardCount = shards });
        for (var i = 0; i < 100; i++)
        {
            var d = await Kinesis.OkAsync("DescribeStreamSummary", new { StreamName = backing });
            if ((string?)d["StreamDescriptionSummary"]!["StreamStatus"] == "ACTIVE") break;
            await Task.Delay(100);
        }

        var definition = new DeliveryStreamDefinition(
            name, $"arn:aws:firehose:us-east-1:000000000000:deliverystream/{name}", DeliveryStreamType.DirectPut, version, "destinationId-000000000001",
            DestinationKind.ExtendedS3, JsonSerializer.SerializeToElement(extendedS3), backing, null, DateTimeOffset.UtcNow);
        Directory.Set([.. Directory.Active, definition]);
        return definition;
    }

    /// <summary>DirectPut as the API does it: the records appended to the backing stream, in order (one partition key, one shard).</summary>
    public async Task PutAsync(string name, IEnumerable<string> records)
    {
        var entries = records.Select(r => new { Data = Convert.ToBase64String(Encoding.UTF8.GetBytes(r)), PartitionKey = "k" }).ToList();
        for (var i = 0; i < entries.Count; i += 500)
        {
            var reply = await Kinesis.OkAsync("PutRecords", new { StreamName = DeliveryStreamDefinition.BackingStreamName(name), Records = entries.Skip(i).Take(500) });
            Assert.That((int?)reply["FailedRecordCount"], Is.EqualTo(0));
        }
    }

    /// <summary>Polls until the bucket holds at least <paramref name="count"/> keys under the prefix (bounded).</summary>
    public async Task<List<string>> WaitForKeysAsync(string bucket, int count, string? prefix = null, int seconds = 30)
    {
        List<string> keys = [];
        for (var i = 0; i < seconds * 10; i++)
        {
            keys = await ListAsync(bucket, prefix);
            if (keys.Count >= count) return keys;
            await Task.Delay(100);
        }

        Assert.Fail($"Expected {count} objects under '{prefix}' in {bucket} within {seconds} s; found {keys.Count}: {string.Join(", ", keys)}");
        return keys;
    }

    public async Task<List<string>> ListAsync(string bucket, string? prefix = null)
    {
        if (S3 is not null) return await S3.ListKeysAsync(bucket, prefix);
        var root = Path.Combine(Server.Settings.DataDir, "s3", bucket);
        if (!System.IO.Directory.Exists(root)) return [];
        var keys = System.IO.Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(k => !k.Contains(".tmp-", StringComparison.Ordinal) && (prefix is null || k.StartsWith(prefix, StringComparison.Ordinal)))
            .ToList();
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    public async Task<byte[]> GetAsync(string bucket, string key) =>
        S3 is not null ? await S3.GetBytesAsync(bucket, key) : await File.ReadAllBytesAsync(Path.Combine(Server.Settings.DataDir, "s3", bucket, key));

    public async ValueTask DisposeAsync()
    {
        Kinesis.Dispose();
        await Server.DisposeAsync();
        if (S3 is not null) await S3.DisposeAsync();
    }
}
