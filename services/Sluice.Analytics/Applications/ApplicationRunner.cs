using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Analytics.ReferenceData;
using Sluice.Analytics.Storage;
using Sluice.Hosting;
using Sluice.Streams.Client;

namespace Sluice.Analytics.Applications;

/// <summary>
/// Keeps a run going for every STARTING/RUNNING application whose lease this runner holds and carries out the status
/// machine: STARTING → RUNNING once the run has started, STOPPING → READY after the stop checkpoint, DELETING → gone, a
/// configuration change on a running application → restart from its checkpoint. Replicas sharing one store run each
/// application on exactly one of them: a runner acts on an application (status changes included) only while it holds
/// its lease, renews the lease every <see cref="LeaseRenewInterval"/>, and stops a run at once, without a checkpoint,
/// when the lease is lost or runs out. When a replica dies its leases expire and the others resume its applications
/// from their last checkpoint. After a process restart, RUNNING applications resume the same way.
/// </summary>
public sealed class ApplicationRunner(
    ApplicationCatalog catalog,
    StreamsGrpcAddress streams,
    SluiceSettings settings,
    TimeProvider clock,
    ReferenceTableLoader references,
    ApplicationMetrics metrics,
    ILoggerFactory loggers) : BackgroundService
{
    private readonly Dictionary<string, Running> _runs = new(StringComparer.Ordinal);

    // The leases this runner holds, with when each was last taken or renewed (Environment.TickCount64). Only the loop touches it.
    private readonly Dictionary<string, (ApplicationLease Lease, long RenewedTick)> _leases = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger<ApplicationRunner>();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(5) };
    private StreamsClient? _client;
    private int _liveRunners = 1;
    private long _heartbeatTick = long.MinValue / 2;

    /// <summary>How often a run stores its checkpoint.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a lease lasts unrenewed: when a replica dies, its applications move to another after this long.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often held leases are renewed; well inside <see cref="LeaseDuration"/>.</summary>
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>This runner's identity in the lease table (one per process and host).</summary>
    public string Owner { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>The run of an application, if one is going (tests and the benchmark read its counters).</summary>
    public ApplicationRun? RunOf(string name)
    {
        lock (_runs) return _runs.GetValueOrDefault(name)?.Run;
    }

    // Lease times are wall-clock times compared across replicas, not the engine's (possibly shifted) clock.
    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private IAnalyticsStore Store => catalog.Store;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The gRPC listener is bound once the host has started.
        await Task.Yield();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await ReconcileAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    _logger.LogWarning(e, "Analytics runner round failed; retrying");
                }

                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                tick.CancelAfter(LeaseRenewInterval < TimeSpan.FromSeconds(1) ? LeaseRenewInterval : TimeSpan.FromSeconds(1));
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

        // A clean stop: checkpoint every run, then free its lease so another replica resumes it at once.
        List<Running> all;
        lock (_runs) all = [.. _runs.Values];
        foreach (var r in all) await r.StopAsync(checkpoint: true);
        foreach (var (lease, _) in _leases.Values) await ReleaseAsync(lease);
        try
        {
            await Store.HeartbeatAsync(Owner, NowMs, NowMs, CancellationToken.None);
        }
        catch (Exception e)
        {
            _logger.LogWarning("Analytics runner {Owner}: could not sign off: {Message}", Owner, e.Message);
        }

        _client?.Dispose();
        _http.Dispose();
    }

    private async Task ReconcileAsync(CancellationToken ct)
    {
        await catalog.RefreshAsync(ct);
        if (Environment.TickCount64 - _heartbeatTick >= LeaseRenewInterval.TotalMilliseconds)
        {
            _liveRunners = Math.Max(1, await Store.HeartbeatAsync(Owner, NowMs, NowMs + (long)LeaseDuration.TotalMilliseconds, ct));
            _heartbeatTick = Environment.TickCount64;
        }

        foreach (var (name, held) in _leases.ToList())
        {
            if (Environment.TickCount64 - held.RenewedTick >= LeaseRenewInterval.TotalMilliseconds) await RenewAsync(name, ct);
        }

        var apps = catalog.All();
        var present = new HashSet<string>(StringComparer.Ordinal);
        var active = 0;
        foreach (var app in apps)
        {
            present.Add(app.Name);
            if (app.Status is ApplicationStatus.STARTING or ApplicationStatus.RUNNING) active++;
        }

        // Deleted through another replica: stop without a checkpoint (the row is gone with the application).
        List<string> gone;
        lock (_runs) gone = [.. _runs.Keys.Where(n => !present.Contains(n))];
        gone.AddRange(_leases.Keys.Where(n => !present.Contains(n) && !gone.Contains(n)));
        foreach (var name in gone)
        {
            await StopAsync(name, checkpoint: false);
            _leases.Remove(name);
        }

        // Spread: take new applications only up to this runner's share of the live runners.
        var share = (active + _liveRunners - 1) / _liveRunners;
        foreach (var app in apps)
        {
            Running? running;
            lock (_runs) running = _runs.GetValueOrDefault(app.Name);
            try
            {
                if (app.Status == ApplicationStatus.READY)
                {
                    if (running is not null) await StopAsync(app.Name, checkpoint: true);
                    if (_leases.Remove(app.Name, out var free)) await ReleaseAsync(free.Lease);
                    continue;
                }

                if (!_leases.TryGetValue(app.Name, out var held))
                {
                    if (app.Status == ApplicationStatus.UPDATING) continue;
                    if (app.Status is ApplicationStatus.STARTING or ApplicationStatus.RUNNING && _leases.Count >= share) continue;
                    if (!await TakeAsync(app.Name, ct)) continue;
                    held = _leases[app.Name];
                }

                var lease = held.Lease;
                switch (app.Status)
                {
                    case ApplicationStatus.STARTING when running is null:
                        Start(app, app.StartingPosition ?? "NOW", lease);
                        break;
                    case ApplicationStatus.RUNNING when running is null:
                        Start(app, "LAST_STOPPED_POINT", lease);
                        break;
                    case ApplicationStatus.RUNNING or ApplicationStatus.STARTING when running is not null && running.Run.Version != app.Version:
                        await StopAsync(app.Name, checkpoint: true);
                        Start(app, "LAST_STOPPED_POINT", lease);
                        break;
                    case ApplicationStatus.RUNNING or ApplicationStatus.STARTING when running is not null && running.Task.IsCompleted:
                        // The run failed or ran out of lease time (logged): try again from the checkpoint if the lease is still ours.
                        await StopAsync(app.Name, checkpoint: false);
                        if (await RenewAsync(app.Name, ct)) Start(app, "LAST_STOPPED_POINT", _leases[app.Name].Lease);
                        break;
                    case ApplicationStatus.STOPPING:
                        if (running is not null) await StopAsync(app.Name, checkpoint: true);
                        await catalog.ChangeAsync(app.Name, a => { if (a.Status == ApplicationStatus.STOPPING) a.Status = ApplicationStatus.READY; }, ct);
                        _leases.Remove(app.Name);
                        await ReleaseAsync(lease);
                        break;
                    case ApplicationStatus.DELETING:
                        if (running is not null) await StopAsync(app.Name, checkpoint: false);
                        await catalog.RemoveAsync(app.Name, ct);
                        _leases.Remove(app.Name);
                        break;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                _logger.LogError(e, "Application {App}: status {Status} could not be carried out", app.Name, app.Status);
            }
        }
    }

    private async Task<bool> TakeAsync(string name, CancellationToken ct)
    {
        var tick = Environment.TickCount64;
        var lease = await Store.TakeLeaseAsync(name, Owner, NowMs, NowMs + (long)LeaseDuration.TotalMilliseconds, ct);
        if (lease is null) return false;
        _leases[name] = (lease, tick);
        _logger.LogInformation("Application {App}: runner {Owner} holds the lease at counter {Counter}", name, Owner, lease.Counter);
        return true;
    }

    /// <summary>Renews a held lease now; false (and the run stopped without a checkpoint) when it was lost.</summary>
    private async Task<bool> RenewAsync(string name, CancellationToken ct)
    {
        var (lease, _) = _leases[name];
        var tick = Environment.TickCount64;
        ApplicationLease? renewed;
        try
        {
            renewed = await Store.RenewLeaseAsync(lease, NowMs + (long)LeaseDuration.TotalMilliseconds, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Unknown outcome: keep going; the run's deadline stops it if the lease runs out before a renewal succeeds.
            _logger.LogWarning("Application {App}: renewing the lease failed, retrying: {Message}", name, e.Message);
            return true;
        }

        if (renewed is null)
        {
            _logger.LogWarning("Application {App}: runner {Owner} lost the lease at counter {Counter}; stopping without a checkpoint", name, Owner, lease.Counter);
            _leases.Remove(name);
            await StopAsync(name, checkpoint: false);
            return false;
        }

        _leases[name] = (renewed, tick);
        Running? running;
        lock (_runs) running = _runs.GetValueOrDefault(name);
        running?.RunUntil(Remaining(tick));
        return true;
    }

    private async Task ReleaseAsync(ApplicationLease lease)
    {
        try
        {
            await Store.ReleaseLeaseAsync(lease, CancellationToken.None);
        }
        catch (Exception e)
        {
            // It expires on its own.
            _logger.LogWarning("Application {App}: releasing the lease failed: {Message}", lease.Name, e.Message);
        }
    }

    /// <summary>
    /// How long a run on a lease taken or renewed at <paramref name="tick"/> may go on, from here: the lease's time less
    /// one renewal interval, a margin for clock drift between replicas.
    /// </summary>
    private TimeSpan Remaining(long tick) => LeaseDuration - LeaseRenewInterval - TimeSpan.FromMilliseconds(Environment.TickCount64 - tick);

    private void Start(Application app, string position, ApplicationLease lease)
    {
        _client ??= new StreamsClient(streams.Resolve());
        var run = new ApplicationRun(app, catalog, _client, clock, references, _http, settings.LambdaEndpoints, loggers.CreateLogger("Sluice.Analytics.Run." + app.Name), CheckpointInterval, lease, metrics);
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
            catch (ApplicationLeaseLostException e)
            {
                _logger.LogWarning("{Message} Stopped without a checkpoint.", e.Message);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "Application {App} stopped with an error", app.Name);
            }
        }, CancellationToken.None);

        // Without renewals the run must end before the lease can pass to another replica.
        running.RunUntil(Remaining(_leases[app.Name].RenewedTick));
        lock (_runs) _runs[app.Name] = running;
    }

    private async Task StopAsync(string name, bool checkpoint)
    {
        Running? running;
        lock (_runs) running = _runs.GetValueOrDefault(name);
        if (running is null) return;
        await running.StopAsync(checkpoint);
        lock (_runs) _runs.Remove(name);
    }

    private sealed class Running(ApplicationRun run, CancellationTokenSource cts)
    {
        public ApplicationRun Run { get; } = run;

        public Task Task { get; set; } = Task.CompletedTask;

        /// <summary>Set only by a deliberate stop; a run cut off by its deadline or a lost lease stops without saving.</summary>
        public bool CheckpointOnStop { get; private set; }

        /// <summary>Cancels the run (without a checkpoint) once <paramref name="remaining"/> has passed, unless extended again.</summary>
        public void RunUntil(TimeSpan remaining) => cts.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);

        public async Task StopAsync(bool checkpoint)
        {
            CheckpointOnStop = checkpoint;
            await cts.CancelAsync();
            await Task;
            cts.Dispose();
        }
    }
}
