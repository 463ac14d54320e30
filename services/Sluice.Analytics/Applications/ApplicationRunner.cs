using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Analytics.ReferenceData;
using Sluice.Hosting;
using Sluice.Streams.Client;

namespace Sluice.Analytics.Applications;

/// <summary>
/// Keeps a run going for every STARTING/RUNNING application and carries out the status machine: STARTING → RUNNING once
/// the run has started, STOPPING → READY after the stop checkpoint, DELETING → gone, a configuration change on a
/// running application → restart from its checkpoint. After a process restart, RUNNING applications resume from
/// their last checkpoint.
/// </summary>
public sealed class ApplicationRunner(
    ApplicationCatalog catalog,
    StreamsGrpcAddress streams,
    SluiceSettings settings,
    TimeProvider clock,
    ReferenceTableLoader references,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly Dictionary<string, Running> _runs = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger<ApplicationRunner>();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(5) };
    private StreamsClient? _client;

    /// <summary>How often a run stores its checkpoint.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The run of an application, if one is going (tests and the benchmark read its counters).</summary>
    public ApplicationRun? RunOf(string name)
    {
        lock (_runs) return _runs.GetValueOrDefault(name)?.Run;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The gRPC listener is bound once the host has started.
        await Task.Yield();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await ReconcileAsync(stoppingToken);
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                tick.CancelAfter(TimeSpan.FromSeconds(1));
                try
                {
                    await catalog.Changes.WaitToReadAsync(tick.Token);
                    while (catalog.Changes.TryRead(out _))
                    {
                    }
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        List<Running> all;
        lock (_runs) all = [.. _runs.Values];
        foreach (var r in all) await r.StopAsync(checkpoint: true);
        _client?.Dispose();
        _http.Dispose();
    }

    private async Task ReconcileAsync(CancellationToken ct)
    {
        foreach (var app in catalog.All())
        {
            Running? running;
            lock (_runs) running = _runs.GetValueOrDefault(app.Name);
            try
            {
                switch (app.Status)
                {
                    case ApplicationStatus.STARTING when running is null:
                        Start(app, app.StartingPosition ?? "NOW");
                        break;
                    case ApplicationStatus.RUNNING when running is null:
                        Start(app, "LAST_STOPPED_POINT");
                        break;
                    case ApplicationStatus.RUNNING or ApplicationStatus.STARTING when running is not null && running.Run.Version != app.Version:
                        await StopAsync(app.Name, running, checkpoint: true);
                        Start(app, "LAST_STOPPED_POINT");
                        break;
                    case ApplicationStatus.RUNNING or ApplicationStatus.STARTING when running is not null && running.Task.IsCompleted:
                        // The run failed (logged): try again from the checkpoint.
                        await StopAsync(app.Name, running, checkpoint: false);
                        Start(app, "LAST_STOPPED_POINT");
                        break;
                    case ApplicationStatus.STOPPING:
                        if (running is not null) await StopAsync(app.Name, running, checkpoint: true);
                        await catalog.ChangeAsync(app.Name, a => { if (a.Status == ApplicationStatus.STOPPING) a.Status = ApplicationStatus.READY; }, ct);
                        break;
                    case ApplicationStatus.DELETING:
                        if (running is not null) await StopAsync(app.Name, running, checkpoint: false);
                        await catalog.RemoveAsync(app.Name, ct);
                        break;
                    case ApplicationStatus.READY when running is not null:
                        await StopAsync(app.Name, running, checkpoint: true);
                        break;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                _logger.LogError(e, "Application {App}: status {Status} could not be carried out", app.Name, app.Status);
            }
        }
    }

    private void Start(Application app, string position)
    {
        _client ??= new StreamsClient(streams.Resolve());
        var run = new ApplicationRun(app, catalog, _client, clock, references, _http, settings.LambdaEndpoints, loggers.CreateLogger("Sluice.Analytics.Run." + app.Name), CheckpointInterval);
        var cts = new CancellationTokenSource();
        var running = new Running(run, cts);
        running.Task = Task.Run(async () =>
        {
            try
            {
                await run.RunAsync(position, async () =>
                {
                    await catalog.ChangeAsync(app.Name, a => { if (a.Status == ApplicationStatus.STARTING) a.Status = ApplicationStatus.RUNNING; }, CancellationToken.None);
                }, () => running.CheckpointOnStop, cts.Token);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Application {App} stopped with an error", app.Name);
            }
        }, CancellationToken.None);
        lock (_runs) _runs[app.Name] = running;
    }

    private async Task StopAsync(string name, Running running, bool checkpoint)
    {
        await running.StopAsync(checkpoint);
        lock (_runs) _runs.Remove(name);
    }

    private sealed class Running(ApplicationRun run, CancellationTokenSource cts)
    {
        public ApplicationRun Run { get; } = run;

        public Task Task { get; set; } = Task.CompletedTask;

        public bool CheckpointOnStop { get; private set; }

        public async Task StopAsync(bool checkpoint)
        {
            CheckpointOnStop = checkpoint;
            await cts.CancelAsync();
            await Task;
            cts.Dispose();
        }
    }
}
