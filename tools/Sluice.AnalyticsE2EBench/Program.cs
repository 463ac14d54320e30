using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Analytics.Applications;
using Sluice.Analytics.Input;
using Sluice.Cli;
using Sluice.Hosting;
using Sluice.Streams.Client;
using Sluice.Streams.V1;

// End-to-end Analytics throughput: JSON records preloaded into a Sluice stream, read by a tumbling GROUP BY
// application (TRIM_HORIZON) in an in-process all-in-one host, results written to an output stream. Prints rows/s, the
// process CPU time per row, the run's time per stage and the mapper's speed on its own; asserts nothing.
var records = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
var shards = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;

var settings = new SluiceSettings
{
    Port = 0,
    TlsPort = -1,
    GrpcPort = 0,
    RequireSignature = false,
    DataDir = Path.Combine(Path.GetTempPath(), "sluice-kda-bench-" + Guid.NewGuid().ToString("N")),
};
var builder = SluiceHost.CreateBuilder(settings);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSluiceAllInOne();
var app = builder.Build();
app.MapSluiceAllInOne();
await app.StartAsync();
var endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)).Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
var grpc = app.Services.GetRequiredService<StreamsGrpcAddress>().Resolve();
using var http = new HttpClient { BaseAddress = new Uri(endpoint) };
using var client = new StreamsClient(grpc);

await CallAsync(http, "Kinesis_20131202.CreateStream", $$"""{"StreamName":"bench-in","ShardCount":{{shards}}}""");
await CallAsync(http, "Kinesis_20131202.CreateStream", """{"StreamName":"bench-out","ShardCount":1}""");
await Task.Delay(500);

var load = Stopwatch.StartNew();
var booths = new[] { "B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08" };
for (var start = 0; start < records; start += 500)
{
    var request = new PutRecordsRequest { StreamName = "bench-in" };
    for (var i = start; i < Math.Min(records, start + 500); i++)
    {
        var json = $$"""{"boothId":"{{booths[i % booths.Length]}}","axles":{{2 + (i % 4)}},"amount":{{(i % 1000) / 100.0m}},"plate":"P{{i}}"}""";
        request.Records.Add(new PutRecordsEntry { PartitionKey = i.ToString(CultureInfo.InvariantCulture), Data = ByteString.CopyFromUtf8(json) });
    }

    await client.PutRecordsAsync(request);
}

Console.WriteLine($"preloaded {records:N0} records in {load.Elapsed.TotalSeconds:F1} s over {shards} shard(s)");

const string code = """
    CREATE OR REPLACE STREAM "BOOTH_TOTALS" (BOOTH_ID VARCHAR(8), PASSAGES BIGINT, AXLES BIGINT, TOTAL DECIMAL(12,2));
    CREATE OR REPLACE PUMP "TOTALS_PUMP" AS INSERT INTO "BOOTH_TOTALS"
      SELECT STREAM BOOTH_ID, COUNT(*), SUM(AXLES), SUM(AMOUNT)
      FROM "SOURCE_SQL_STREAM_001"
      GROUP BY BOOTH_ID, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '1' SECOND);
    """;
var create = new
{
    ApplicationName = "bench",
    ApplicationCode = code,
    Inputs = new[]
    {
        new
        {
            NamePrefix = "SOURCE_SQL_STREAM",
            KinesisStreamsInput = new { ResourceARN = "arn:aws:kinesis:us-east-1:000000000000:stream/bench-in", RoleARN = "arn:aws:iam::000000000000:role/r" },
            InputSchema = new
            {
                RecordFormat = new { RecordFormatType = "JSON", MappingParameters = new { JSONMappingParameters = new { RecordRowPath = "$" } } },
                RecordEncoding = "UTF-8",
                RecordColumns = new[]
                {
                    new { Name = "BOOTH_ID", Mapping = "$.boothId", SqlType = "VARCHAR(8)" },
                    new { Name = "AXLES", Mapping = "$.axles", SqlType = "INTEGER" },
                    new { Name = "AMOUNT", Mapping = "$.amount", SqlType = "DECIMAL(8,2)" },
                    new { Name = "PLATE", Mapping = "$.plate", SqlType = "VARCHAR(16)" },
                },
            },
        },
    },
    Outputs = new[]
    {
        new
        {
            Name = "BOOTH_TOTALS",
            KinesisStreamsOutput = new { ResourceARN = "arn:aws:kinesis:us-east-1:000000000000:stream/bench-out", RoleARN = "arn:aws:iam::000000000000:role/r" },
            DestinationSchema = new { RecordFormatType = "JSON" },
        },
    },
};
await CallAsync(http, "KinesisAnalytics_20150814.CreateApplication", System.Text.Json.JsonSerializer.Serialize(create));
var runner = app.Services.GetServices<IHostedService>().OfType<ApplicationRunner>().Single();
var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var run = Stopwatch.StartNew();
await CallAsync(http, "KinesisAnalytics_20150814.StartApplication", """{"ApplicationName":"bench","InputConfigurations":[{"Id":"1.1","InputStartingPositionConfiguration":{"InputStartingPosition":"TRIM_HORIZON"}}]}""");
long read = 0;
while (run.Elapsed < TimeSpan.FromMinutes(10))
{
    read = runner.RunOf("bench")?.RecordsIn ?? 0;
    if (read >= records) break;
    await Task.Delay(50);
}

var seconds = run.Elapsed.TotalSeconds;
var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
var outRows = runner.RunOf("bench")?.RowsOut ?? 0;
Console.WriteLine($"analytics: {read:N0} rows through a tumbling GROUP BY in {seconds:F2} s = {read / seconds:N0} rows/s ({outRows:N0} result rows written)");
Console.WriteLine($"cpu: {cpu:F2} s of process CPU time (all threads, the Streams service included) = {read / cpu:N0} rows per CPU-second");
Console.WriteLine($"stages: {runner.RunOf("bench")?.Stages}");

// The mapper alone, on one thread, after the run (so it does not warm the run up): what a record costs from JSON bytes to a row.
var sample = new byte[10_000][];
for (var i = 0; i < sample.Length; i++)
{
    sample[i] = Encoding.UTF8.GetBytes($$"""{"boothId":"{{booths[i % booths.Length]}}","axles":{{2 + (i % 4)}},"amount":{{(i % 1000) / 100.0m}},"plate":"P{{i}}"}""");
}

var mapper = new RecordMapper((System.Text.Json.Nodes.JsonObject)System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(create.Inputs[0].InputSchema))!);
var sink = new CountingRows();
var mapping = Stopwatch.StartNew();
for (var i = 0; i < records; i++) mapper.Map(sample[i % sample.Length], sink);
Console.WriteLine($"mapper alone: {records:N0} records in {mapping.Elapsed.TotalSeconds:F2} s = {records / mapping.Elapsed.TotalSeconds:N0} records/s ({sink.Rows:N0} rows, {sink.Errors:N0} errors)");

await app.StopAsync();
return 0;

static async Task CallAsync(HttpClient http, string target, string body)
{
    using var request = new HttpRequestMessage(HttpMethod.Post, "/") { Content = new StringContent(body, Encoding.UTF8) };
    request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-amz-json-1.1");
    request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
    using var response = await http.SendAsync(request);
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{target} failed: {await response.Content.ReadAsStringAsync()}");
}

/// <summary>Counts what the mapper produces and keeps nothing.</summary>
internal sealed class CountingRows : IMappedRows
{
    public long Rows { get; private set; }

    public long Errors { get; private set; }

    public void Row(object?[] values) => Rows++;

    public void Error(string message) => Errors++;
}
