using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Destinations;
using Sluice.Firehose.Transform;
using Sluice.Hosting;
using Sluice.Streams.Client;

namespace Sluice.Firehose.Delivery;

/// <summary>Runs one <see cref="DeliveryLoop"/> per ACTIVE delivery stream: starts new ones, restarts on a new VersionId, stops deleted ones.</summary>
internal sealed class DeliveryHost(IServiceProvider services, ILogger<DeliveryHost> logger) : BackgroundService
{
    private readonly Dictionary<string, DeliveryLoop> _loops = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _changed = new(0, int.MaxValue);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var directory = services.GetService<IDeliveryStreamDirectory>();
        if (directory is null)
        {
            logger.LogWarning("No delivery stream directory is registered; Firehose delivery is off");
            return;
        }

        // The gRPC address is known only once the host has started listening.
        await Task.Yield();
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        await WaitStartedAsync(lifetime, stoppingToken);
        if (stoppingToken.IsCancellationRequested) return;

        var journal = services.GetRequiredService<IDeliveryJournal>();
        await journal.InitializeAsync(stoppingToken);
        using var client = new StreamsClient(services.GetRequiredService<StreamsGrpcAddress>().Resolve());
        var clock = services.GetRequiredService<TimeProvider>();
        var context = new DeliveryContext(
            services.GetRequiredService<IObjectStore>(),
            journal,
            new BatchBuilder(services.GetService<IRecordTransformer>(), clock, logger),
            services.GetServices<IBatchDestination>().ToList(),
            services.GetRequiredService<DeliveryMetrics>(),
            clock,
            logger);

        void OnChanged() => _changed.Release();
        directory.Changed += OnChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await ReconcileAsync(directory, context, client, journal, stoppingToken);

                // Changed is the fast path; the periodic look covers a missed event.
                try
                {
                    await _changed.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            directory.Changed -= OnChanged;
            foreach (var loop in _loops.Values) await loop.StopAsync();
            _loops.Clear();
        }
    }

    private static async Task WaitStartedAsync(IHostApplicationLifetime lifetime, CancellationToken ct)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var a = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var b = ct.Register(() => started.TrySetResult());
        await started.Task;
    }

    private async Task ReconcileAsync(IDeliveryStreamDirectory directory, DeliveryContext context, StreamsClient client, IDeliveryJournal journal, CancellationToken ct)
    {
        var active = new Dictionary<string, DeliveryStreamDefinition>(StringComparer.Ordinal);
        foreach (var stream in directory.Active) active[stream.Name] = stream;

        foreach (var (name, loop) in _loops.ToList())
        {
            if (active.TryGetValue(name, out var now) && now.VersionId == loop.Stream.VersionId) continue;
            logger.LogInformation("{Stream}: stopping the delivery loop of version {Version}", name, loop.Stream.VersionId);
            await loop.StopAsync();
            _loops.Remove(name);
            if (!active.ContainsKey(name)) await journal.ForgetAsync(name, ct);
        }

        foreach (var (name, stream) in active)
        {
            if (_loops.ContainsKey(name)) continue;
            logger.LogInformation("{Stream}: starting the delivery loop of version {Version} on {Source}", name, stream.VersionId, stream.SourceStreamName);
            _loops[name] = new DeliveryLoop(stream, context, client);
        }
    }
}
