using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Google.Protobuf;
using Sluice.Streams.Client;
using Sluice.Streams.V1;

// Push-path benchmark over the gRPC data plane: put → Subscribe delivery latency at a steady rate, and the records/s
// one Subscribe stream sustains when it reads a backlog. Prints figures; asserts nothing.
var options = Options.Parse(args);
if (options is null)
{
    Console.WriteLine("usage: Sluice.SubscribeBench --endpoint http://127.0.0.1:4567 --grpc http://127.0.0.1:4569 [--rate 10000] [--seconds 10] [--backlog 300000] [--record-size 100]");
    return 2;
}

using var http = new HttpClient { BaseAddress = new Uri(options.Endpoint) };
using var client = new StreamsClient(options.Grpc);
var stream = "subscribe-bench-" + Guid.NewGuid().ToString("N")[..8];
await CreateStreamAsync(http, stream);

await MeasureLatencyAsync(client, stream, options);
await MeasureBacklogAsync(client, stream, options);
return 0;

static async Task MeasureLatencyAsync(StreamsClient client, string stream, Options options)
{
    using var cts = new CancellationTokenSource();
    var latencies = new List<double>(options.Rate * options.Seconds);
    using var call = client.Subscribe(new SubscribeRequest
    {
        StreamName = stream,
        ShardId = "shardId-000000000000",
        Position = new StartingPosition { Type = StartingPosition.Types.Type.Latest },
        HeartbeatMs = 200,
    }, cts.Token);
    var expected = options.Rate * options.Seconds;
    var received = 0;
    var reader = Task.Run(async () =>
    {
        while (received < expected && await call.ResponseStream.MoveNext(cts.Token))
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var record in call.ResponseStream.Current.Records)
            {
                var sent = BinaryPrimitives.ReadInt64LittleEndian(record.Data.Span);
                latencies.Add(Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
                received++;
            }
        }
    });
    await Task.Delay(500); // the subscription is at LATEST before the first put

    // Puts every 5 ms, each carrying its send time; a slow put delays later ones rather than overlapping (bounded).
    const int TickMs = 5;
    var perTick = Math.Max(1, options.Rate * TickMs / 1000);
    var ticks = expected / perTick;
    var clock = Stopwatch.StartNew();
    var puts = new List<Task>();
    for (var t = 0; t < ticks; t++)
    {
        var due = TimeSpan.FromMilliseconds(t * TickMs);
        if (clock.Elapsed < due) await Task.Delay(due - clock.Elapsed);
        var request = new PutRecordsRequest { StreamName = stream };
        var stamp = Stopwatch.GetTimestamp();
        for (var i = 0; i < perTick; i++)
        {
            var data = new byte[options.RecordSize];
            BinaryPrimitives.WriteInt64LittleEndian(data, stamp);
            request.Records.Add(new PutRecordsEntry { PartitionKey = "k", ExplicitHashKey = "0", Data = ByteString.CopyFrom(data) }); // shardId-000000000000
        }

        puts.Add(client.PutRecordsAsync(request));
        if (puts.Count >= 64)
        {
            await Task.WhenAll(puts);
            puts.Clear();
        }
    }

    await Task.WhenAll(puts);
    var achieved = ticks * perTick / clock.Elapsed.TotalSeconds;
    if (await Task.WhenAny(reader, Task.Delay(TimeSpan.FromSeconds(30))) != reader) Console.WriteLine("  (subscriber did not receive everything within 30 s)");
    await cts.CancelAsync();
    latencies.Sort();
    Console.WriteLine($"put → Subscribe latency at {achieved:F0} records/s ({received} of {ticks * perTick} records, {options.RecordSize} B, 1 shard):");
    if (latencies.Count > 0)
    {
        Console.WriteLine($"  p50 {Percentile(latencies, 0.50):F1} ms  p99 {Percentile(latencies, 0.99):F1} ms  max {latencies[^1]:F1} ms");
    }
}

static async Task MeasureBacklogAsync(StreamsClient client, string stream, Options options)
{
    // Fill the second shard, then read it with one Subscribe from TRIM_HORIZON.
    var filled = 0;
    var data = ByteString.CopyFrom(new byte[options.RecordSize]);
    var hashKey = "170141183460469231731687303715884105728"; // the upper half: shardId-000000000001
    var inFlight = new List<Task>();
    while (filled < options.Backlog)
    {
        var request = new PutRecordsRequest { StreamName = stream };
        for (var i = 0; i < 500 && filled < options.Backlog; i++, filled++) request.Records.Add(new PutRecordsEntry { PartitionKey = "k", ExplicitHashKey = hashKey, Data = data });
        inFlight.Add(client.PutRecordsAsync(request));
        if (inFlight.Count >= 8)
        {
            await Task.WhenAll(inFlight);
            inFlight.Clear();
        }
    }

    await Task.WhenAll(inFlight);
    using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
    using var call = client.Subscribe(new SubscribeRequest
    {
        StreamName = stream,
        ShardId = "shardId-000000000001",
        Position = new StartingPosition { Type = StartingPosition.Types.Type.TrimHorizon },
        MaxRecordsPerEvent = 10000,
    }, cts.Token);
    var clock = Stopwatch.StartNew();
    var received = 0L;
    var bytes = 0L;
    while (received < options.Backlog && await call.ResponseStream.MoveNext(cts.Token))
    {
        foreach (var record in call.ResponseStream.Current.Records)
        {
            received++;
            bytes += record.Data.Length;
        }
    }

    var seconds = clock.Elapsed.TotalSeconds;
    await cts.CancelAsync();
    Console.WriteLine($"one Subscribe stream reading a backlog of {received} records: {received / seconds:F0} records/s, {bytes / seconds / 1048576:F1} MiB/s");
}

static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

static async Task CreateStreamAsync(HttpClient http, string stream)
{
    foreach (var (operation, body) in new[]
    {
        ("CreateStream", $"{{\"StreamName\":\"{stream}\",\"ShardCount\":2}}"),
    })
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "Kinesis_20131202." + operation);
        request.Headers.TryAddWithoutValidation("X-Amz-Date", DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));
        // Sluice checks that a signature is present; this benchmark is not about SigV4.
        request.Headers.TryAddWithoutValidation("Authorization", "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=" + new string('0', 64));
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }
}

internal sealed record Options(string Endpoint, string Grpc, int Rate, int Seconds, int Backlog, int RecordSize)
{
    public static Options? Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) return null;
            values[args[i][2..]] = args[i + 1];
        }

        if (args.Length % 2 != 0) return null;
        int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        return new Options(
            values.GetValueOrDefault("endpoint", "http://127.0.0.1:4567"),
            values.GetValueOrDefault("grpc", "http://127.0.0.1:4569"),
            Int("rate", 10_000),
            Int("seconds", 10),
            Int("backlog", 300_000),
            Math.Max(8, Int("record-size", 100)));
    }
}
