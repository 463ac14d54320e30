using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Streams.Catalog;
using Sluice.Streams.Storage;

namespace Sluice.Streams.Records;

/// <summary>Once a minute: drops deleted streams and trims records older than each stream's retention, in bulk.</summary>
public sealed class RetentionWorker(StreamCatalog catalog, IStreamStore store, ILogger<RetentionWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period);
        do
        {
            try
            {
                foreach (var stream in await catalog.SweepAsync(stoppingToken))
                {
                    var cutoff = catalog.NowMs - (stream.RetentionHours * 3_600_000L);
                    foreach (var shard in stream.Shards.ToArray()) await store.TrimAsync(stream.Id, shard.Index, cutoff, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Retention pass failed; retrying next period");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
