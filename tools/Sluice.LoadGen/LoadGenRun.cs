using System.Text.Json;
using Sluice.LoadGen.Load;
using Sluice.LoadGen.Report;
using Sluice.LoadGen.Verify;
using Sluice.LoadGen.Wire;

namespace Sluice.LoadGen;

/// <summary>One run: set up the stream, load it, read it back, report, clean up. Returns the process exit code.</summary>
internal static class LoadGenRun
{
    public const int Ok = 0;
    public const int VerificationFailed = 1;
    public const int RunFailed = 2;

    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(LoadGenOptions options, CancellationToken ct)
    {
        using var client = new KinesisClient(options);
        var stream = new StreamSetup(client, options.StreamName);
        bool created = false;
        try
        {
            if (options.Create)
            {
                await stream.CreateAsync(options.Shards, ct);
                created = true;
            }

            int shards = await stream.WaitUntilActiveAsync(justCreated: created, ct);

            // The run id in every record tells this run's records from anything already in the stream.
            var payloads = new RecordPayloads((uint)Random.Shared.Next(), options.RecordSize);
            var ledger = new RecordLedger(options.Records, keepSequenceNumbers: options.Verify);
            var shardIds = new ShardIdTable();

            LoadResult load = await new Producer(client, options, payloads, ledger, shardIds).RunAsync(ct);
            VerificationResult? verification = options.Verify && !ct.IsCancellationRequested
                ? await new Verifier(client, options, stream, payloads, ledger, shardIds).RunAsync(ct)
                : null;

            ReportPrinter.Print(RunReport.From(options, shards, load, verification), options.Json);
            if (verification is { Passed: false })
            {
                return VerificationFailed;
            }

            return load.StoppedEarly is null || load.StoppedEarly == "duration reached" ? Ok : RunFailed;
        }
        catch (Exception e) when (e is KinesisException or HttpRequestException or InvalidOperationException
            or TimeoutException or InvalidDataException or JsonException or KeyNotFoundException or OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"loadgen: {e.Message}");
            return RunFailed;
        }
        finally
        {
            if (created && !options.Keep)
            {
                await DeleteQuietlyAsync(stream, options.StreamName);
            }
        }
    }

    // Runs after Ctrl+C too, so it has its own timeout rather than the run's token.
    private static async Task DeleteQuietlyAsync(StreamSetup stream, string name)
    {
        using var timeout = new CancellationTokenSource(CleanupTimeout);
        try
        {
            await stream.DeleteAsync(timeout.Token);
        }
        catch (Exception e) when (e is KinesisException or HttpRequestException or OperationCanceledException)
        {
            await Console.Error.WriteLineAsync($"loadgen: could not delete stream {name}: {e.Message}");
        }
    }
}
