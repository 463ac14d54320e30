using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Cli;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Delivery;
using Sluice.Hosting;
using Sluice.Streams.Client;

// Firehose delivery throughput to a real S3-compatible store (s3rver from tests/clients), with and without GZIP,
// against PUTs of the same object sizes through the same S3 client.
//   dotnet run -c Release --project tools/Sluice.FirehoseBench -- [MB to deliver, default 64] [record bytes, default 1000]
var megabytes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 64;
var recordBytes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
const int SizeInMBs = 8;
const string Bucket = "bench";

var repo = FindRepoRoot();
var clients = Path.Combine(repo, "tests", "clients");
var s3Dir = Path.Combine(Path.GetTempPath(), "sluice-bench-s3-" + Guid.NewGuid().ToString("N")[..8]);
var dataDir = Path.Combine(Path.GetTempPath(), "sluice-bench-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(s3Dir);
using var s3rver = StartS3rver(clients, s3Dir, out var s3Endpoint);
Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", "S3RVER");
Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", "S3RVER");
using var s3 = new AmazonS3Client(new BasicAWSCredentials("S3RVER", "S3RVER"), new AmazonS3Config { ServiceURL = s3Endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
await s3.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });

var settings = new SluiceSettings { DataDir = dataDir, Port = 0, TlsPort = 0, GrpcPort = 0, S3Endpoint = s3Endpoint, RequireSignature = false };
var directory = new BenchDirectory();
var builder = SluiceHost.CreateBuilder(settings);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSluiceAllInOne();
builder.Services.AddSingleton<IDeliveryStreamDirectory>(directory);
var app = builder.Build();
app.MapSluiceAllInOne();
await app.StartAsync();
using var streams = new StreamsClient(app.Services.GetRequiredService<StreamsGrpcAddress>().Resolve());
var metrics = app.Services.GetRequiredService<DeliveryMetrics>();

try
{
    // Whole cuts only (a cut closes at the first record that reaches SizeInMBs), so no figure includes an interval wait.
    var perCut = (SizeInMBs * 1024L * 1024 + recordBytes - 1) / recordBytes;
    var total = Math.Max(1, megabytes / SizeInMBs) * perCut * recordBytes;
    Console.WriteLine($"Firehose delivery to s3rver: {total / 1048576.0:F0} MB of {recordBytes}-byte records, 1 shard, SizeInMBs {SizeInMBs}");
    var direct = await DirectPutAsync(s3, total, (int)(perCut * recordBytes));
    Console.WriteLine($"  direct S3 PUT (same client, {SizeInMBs} MB objects): {direct:F1} MB/s");
    foreach (var compression in new[] { "UNCOMPRESSED", "GZIP" })
    {
        var rate = await DeliverAsync(compression, total);
        Console.WriteLine($"  delivery {compression,-12}: {rate:F1} MB/s (records in, MB/s of uncompressed data) = {rate / direct * 100:F0}% of direct PUT");
    }
}
finally
{
    await app.StopAsync();
    await app.DisposeAsync();
    if (!s3rver.HasExited) s3rver.Kill(true);
    try
    {
        Directory.Delete(dataDir, true);
        Directory.Delete(s3Dir, true);
    }
    catch (IOException)
    {
    }
}

return 0;

async Task<double> DeliverAsync(string compression, long total)
{
    var name = "bench-" + compression.ToLowerInvariant();
    var backing = DeliveryStreamDefinition.BackingStreamName(name);
    await streams.CreateStreamAsync(backing, 1);
    // 2,000 distinct records of random letters and digits (a gzip window never sees a repeat): GZIP shrinks them to about 3/4.
    var random = new Random(42);
    var pool = new List<(string, ReadOnlyMemory<byte>)>();
    for (var r = 0; r < 2000; r++)
    {
        var record = new byte[recordBytes];
        for (var i = 0; i < record.Length; i++) record[i] = (byte)"abcdefghijklmnopqrstuvwxyz0123456789"[random.Next(36)];
        record[^1] = (byte)'\n';
        pool.Add(("k", record));
    }

    // The backing stream is filled first, so the figure is the delivery loop's alone (read, buffer, compress, PUT, checkpoint).
    var count = total / recordBytes;
    for (long put = 0; put < count; put += 500)
    {
        await streams.PutRecordsAsync(backing, pool.Skip((int)(put % 2000)).Take((int)Math.Min(500, count - put)));
    }

    var config = JsonSerializer.SerializeToElement(new { BucketARN = "arn:aws:s3:::" + Bucket, Prefix = name + "/", CompressionFormat = compression, BufferingHints = new { SizeInMBs, IntervalInSeconds = 1 } });
    var watch = Stopwatch.StartNew();
    directory.Add(new DeliveryStreamDefinition(name, "arn:aws:firehose:us-east-1:000000000000:deliverystream/" + name, DeliveryStreamType.DirectPut, "1", "destinationId-000000000001", DestinationKind.ExtendedS3, config, backing, null, DateTimeOffset.UtcNow));
    var deadline = Stopwatch.StartNew();
    while (!metrics.TryGet(name, out var f) || f.DeliveryToS3Bytes < total)
    {
        if (deadline.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException($"{name}: not delivered within 10 minutes");
        await Task.Delay(20);
    }

    return total / 1048576.0 / watch.Elapsed.TotalSeconds;
}

static async Task<double> DirectPutAsync(AmazonS3Client s3, long total, int objectBytes)
{
    var body = new byte[objectBytes];
    Random.Shared.NextBytes(body);
    var watch = Stopwatch.StartNew();
    var n = 0;
    for (long sent = 0; sent < total; sent += objectBytes)
    {
        var size = (int)Math.Min(objectBytes, total - sent);
        using var content = new MemoryStream(body, 0, size, writable: false);
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = $"direct/{n++}", InputStream = content, AutoCloseStream = false, UseChunkEncoding = false });
    }

    return total / 1048576.0 / watch.Elapsed.TotalSeconds;
}

static Process StartS3rver(string clients, string dir, out string endpoint)
{
    var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = clients };
    foreach (var a in new[] { Path.Combine(clients, "node_modules", "s3rver", "bin", "s3rver.js"), "-d", dir, "-a", "127.0.0.1", "-p", "0", "--no-vhost-buckets" }) info.ArgumentList.Add(a);
    var process = Process.Start(info)!;
    var timeout = Stopwatch.StartNew();
    while (timeout.Elapsed < TimeSpan.FromSeconds(30))
    {
        var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("s3rver exited: " + process.StandardError.ReadToEnd());
        var m = Regex.Match(line, @"listening on [^:\s]+:(\d+)");
        if (m.Success)
        {
            endpoint = "http://127.0.0.1:" + m.Groups[1].Value;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            return process;
        }
    }

    process.Kill(true);
    throw new TimeoutException("s3rver did not start within 30 s");
}

static string FindRepoRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Sluice.sln"))) return dir.FullName;
    }

    throw new InvalidOperationException("Run from inside the repository.");
}

/// <summary>The bench announces its delivery streams itself, after filling their backing streams.</summary>
internal sealed class BenchDirectory : IDeliveryStreamDirectory
{
    private volatile IReadOnlyList<DeliveryStreamDefinition> _active = [];

    public IReadOnlyList<DeliveryStreamDefinition> Active => _active;

    public event Action? Changed;

    public void Add(DeliveryStreamDefinition stream)
    {
        _active = [.. _active, stream];
        Changed?.Invoke();
    }
}
