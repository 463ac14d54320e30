using System.Collections.Concurrent;
using System.Diagnostics;
using Sluice.LoadGen.Load;
using Sluice.LoadGen.Wire;

namespace Sluice.LoadGen.Verify;

/// <summary>The read-back phase: lists the shards, reads them in parallel, and summarises against the ledger.</summary>
internal sealed class Verifier(KinesisClient client, LoadGenOptions options, StreamSetup stream, RecordPayloads payloads, RecordLedger ledger, ShardIdTable shardIds)
{
    public async Task<VerificationResult> RunAsync(CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        long deadline = started + (long)(options.VerifyTimeout.TotalSeconds * Stopwatch.Frequency);
        List<string> shards = await stream.ListShardsAsync(ct);

        var checker = new ReadBackChecker(payloads, ledger, shardIds);
        var reader = new ShardReader(client, options.StreamName, checker);
        var tallies = new ConcurrentBag<ShardTally>();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(shards.Count, 1, options.Concurrency), CancellationToken = ct };
        await Parallel.ForEachAsync(shards, parallel, async (shardId, token) => tallies.Add(await reader.ReadAsync(shardId, deadline, token)));

        return checker.Summarise(tallies, Stopwatch.GetElapsedTime(started));
    }
}
