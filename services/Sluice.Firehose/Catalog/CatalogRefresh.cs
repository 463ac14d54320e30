using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Firehose.Storage;

namespace Sluice.Firehose.Catalog;

/// <summary>
/// Keeps the catalog current and whole: with a shared store it re-reads it every two seconds so this replica sees
/// delivery streams created, updated or deleted by others; and it finishes a create or delete that a crashed process
/// left CREATING or DELETING (at startup with the embedded store, after a minute with a shared one).
/// </summary>
internal sealed class CatalogRefresh(DeliveryStreamCatalog catalog, IDeliveryStreamStore store, BackingStreams streams, TimeProvider time, ILogger<CatalogRefresh> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private const long AbandonedMs = 60_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var resumedAtStart = false;
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (store.Shared) await catalog.RefreshAsync(stoppingToken);
                if (store.Shared || !resumedAtStart)
                {
                    await ResumeAsync(store.Shared ? AbandonedMs : 0, stoppingToken);
                    resumedAtStart = true;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Refreshing the delivery streams failed; retrying.");
            }
        }
    }

    private async Task ResumeAsync(long olderThanMs, CancellationToken ct)
    {
        var now = catalog.NowMs;
        foreach (var stream in catalog.All())
        {
            if (stream.Status is not ("CREATING" or "DELETING") || now - stream.StatusSinceMs < olderThanMs) continue;
            logger.LogInformation("Finishing the {Status} of delivery stream {Name} left by an earlier process.", stream.Status, stream.Name);
            if (stream.Status == "CREATING")
            {
                if (stream.Type == DeliveryStreamType.DirectPut) await streams.CreateAsync(stream.Name, BackingStreams.ShardsFor(stream.ThroughputHintInMBs), ct);
                await catalog.UpdateAsync(stream.Name, s => s with { Status = "ACTIVE", StatusSinceMs = catalog.NowMs }, ct);
            }
            else
            {
                if (stream.Type == DeliveryStreamType.DirectPut) await streams.DeleteAsync(stream.Name, ct);
                await catalog.RemoveAsync(stream.Name, ct);
            }
        }
    }
}
