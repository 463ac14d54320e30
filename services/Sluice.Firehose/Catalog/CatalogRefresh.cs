using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Firehose.Storage;

namespace Sluice.Firehose.Catalog;

/// <summary>With a shared store, re-reads it every two seconds so this replica sees delivery streams created, updated or deleted by others.</summary>
internal sealed class CatalogRefresh(DeliveryStreamCatalog catalog, IDeliveryStreamStore store, TimeProvider time, ILogger<CatalogRefresh> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!store.Shared) return;
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await catalog.RefreshAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Reading the delivery streams failed; retrying.");
            }
        }
    }
}
