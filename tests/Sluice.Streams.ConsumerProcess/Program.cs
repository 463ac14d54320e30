using System.Runtime.InteropServices;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Sluice.Streams.Client;

// A consumer-group worker for tests: runs a StreamConsumer against a Sluice gRPC address and appends each processed
// record as "shardId sequenceNumber" to a file, flushed after every batch (so a kill -9 loses nothing it handled).
// usage: consumer --grpc http://127.0.0.1:PORT --stream NAME --group NAME --worker ID --out FILE [--lease-ms N] [--take-ms N]
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
string Get(string name) => options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required.");
int Ms(string name, int fallback) => options.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
var worker = Get("worker");
var logger = loggers.CreateLogger("consumer-" + worker);
using var stop = new CancellationTokenSource();

// SIGTERM and Ctrl-C stop the consumer cleanly: it releases its leases so the group's other workers take over at once.
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

using var client = new StreamsClient(Get("grpc"));
await using var output = new StreamWriter(new FileStream(Get("out"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite));
var consumer = new StreamConsumer(client, new StreamConsumerOptions
{
    StreamName = Get("stream"),
    ConsumerGroup = Get("group"),
    WorkerId = worker,
    LeaseDuration = TimeSpan.FromMilliseconds(Ms("lease-ms", 10_000)),
    TakeInterval = TimeSpan.FromMilliseconds(Ms("take-ms", 2_000)),
    MaxBatchRecords = Ms("batch", 1000),
}, logger);

Console.Out.WriteLine("consumer " + worker + " started");
Console.Out.Flush();

// Shards are handled concurrently; the file is shared.
using var gate = new SemaphoreSlim(1, 1);
await consumer.RunAsync(async (batch, ct) =>
{
    await gate.WaitAsync(ct);
    try
    {
        foreach (var record in batch.Records) await output.WriteLineAsync(batch.ShardId + " " + record.SequenceNumber);
        await output.FlushAsync(ct);
    }
    finally
    {
        gate.Release();
    }
}, stop.Token);
logger.LogInformation("consumer {Worker} stopped", worker);
return 0;
