using System.Diagnostics;
using Sluice.LoadGen.Wire;

namespace Sluice.LoadGen.Load;

/// <summary>Runs the write phase: one <see cref="LoadWorker"/> per request in flight, then sums their counters.</summary>
internal sealed class Producer(KinesisClient client, LoadGenOptions options, RecordPayloads payloads, RecordLedger ledger, ShardIdTable shards)
{
    public async Task<LoadResult> RunAsync(CancellationToken ct)
    {
        var source = new RecordSource(options.Records);
        long deadline = options.Duration is { } duration
            ? Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency)
            : long.MaxValue;

        TimeSpan cpuBefore = Environment.CpuUsage.TotalTime;
        long started = Stopwatch.GetTimestamp();
        var workers = new Task<LoadStats>[options.Concurrency];
        for (int i = 0; i < workers.Length; i++)
        {
            var worker = new LoadWorker(client, options, payloads, ledger, shards, source);
            workers[i] = Task.Run(() => worker.RunAsync(deadline, ct), CancellationToken.None);
        }

        LoadStats[] perWorker = await Task.WhenAll(workers);
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
        TimeSpan cpu = Environment.CpuUsage.TotalTime - cpuBefore;

        var total = new LoadStats();
        foreach (LoadStats stats in perWorker)
        {
            total.Add(stats);
        }

        string? stoppedEarly = source.StopReason
            ?? (ct.IsCancellationRequested ? "interrupted"
            : source.Claimed < options.Records ? "duration reached" : null);
        return new LoadResult(total, source.Claimed, elapsed, cpu, stoppedEarly);
    }
}
