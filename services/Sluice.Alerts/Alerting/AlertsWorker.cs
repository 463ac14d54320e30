using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Sluice.Alerts.Notifiers;
using Sluice.Alerts.Rules;
using Sluice.Alerts.Storage;
using Sluice.Hosting;
using Sluice.Streams.Client;

namespace Sluice.Alerts.Alerting;

/// <summary>
/// The running service: applies the resources file, consumes every stream some rule reads (consumer group
/// <c>sluice-alerts</c>: replicas share the shards, so each record is evaluated by one replica), and on the replica that
/// holds the leader lease runs the timers — absence windows, period expiry, group flushes and the outbox.
/// </summary>
public sealed class AlertsWorker(
    AlertsDatabase database,
    AlertsStore store,
    RuleCatalog catalog,
    OutboxSender outbox,
    LimitsLoader limitsLoader,
    SluiceSettings settings,
    StreamsGrpcAddress streams,
    TimeProvider clock,
    ILoggerFactory loggers) : BackgroundService
{
    public const string ConsumerGroup = "sluice-alerts";

    private readonly ILogger _logger = loggers.CreateLogger<AlertsWorker>();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly string _owner = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";
    private readonly Dictionary<string, (CancellationTokenSource Stop, Task Run)> _consumers = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once storage is ready and the resources file is applied.</summary>
    public Task Ready => _ready.Task;

    /// <summary>Asks the timers to run now (an alert changed or a notification was queued).</summary>
    public void Wake()
    {
        // One pending wake is enough: the round that runs handles everything queued so far.
        if (_wake.CurrentCount == 0) _wake.Release();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await database.InitializeAsync(stoppingToken);
            await ApplyResourcesAsync(stoppingToken);
            await catalog.RefreshAsync(stoppingToken);
            _ready.TrySetResult();
        }
        catch (Exception e)
        {
            _ready.TrySetException(e);
            throw;
        }

        // The gRPC port is bound only once the host has started.
        await Task.Yield();
        using var client = await ConnectAsync(stoppingToken);
        if (client is null) return;
        var leader = false;
        long lastLeaseMs = 0, lastRefreshMs = Environment.TickCount64, lastExpiryMs = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var tick = Environment.TickCount64;
                if (tick - lastRefreshMs > 5000)
                {
                    await catalog.RefreshAsync(stoppingToken);
                    lastRefreshMs = tick;
                }

                SyncConsumers(client, stoppingToken);
                if (tick - lastLeaseMs > 1000)
                {
                    leader = await store.TryLeadAsync("alerts-timers", _owner, Now, 5000, stoppingToken);
                    lastLeaseMs = tick;
                }

                if (leader)
                {
                    var rules = catalog.Rules;
                    if (tick - lastExpiryMs > 500)
                    {
                        await store.ExpireAlertsAsync(rules, Now, stoppingToken);
                        foreach (var rule in rules.Values)
                        {
                            if (rule.Kind != RuleKind.Absence) continue;
                            IReadOnlyCollection<string> keys = rule.LimitsTable is not null && catalog.Limits.TryGetValue(rule.LimitsTable, out var table) ? table.Keys : [];
                            await store.EvaluateWindowsAsync(rule, catalog, keys, Now, stoppingToken);
                        }

                        lastExpiryMs = tick;
                    }

                    var silences = await store.SilencesAsync(stoppingToken);
                    await store.FlushDueGroupsAsync(rules, silences, Now, stoppingToken);
                    await outbox.SendDueAsync(stoppingToken);
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                _logger.LogWarning(e, "Alerts timer round failed; retrying");
            }

            try
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(100), stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        foreach (var (stop, run) in _consumers.Values)
        {
            await stop.CancelAsync();
            await run.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private long Now => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task<StreamsClient?> ConnectAsync(CancellationToken ct)
    {
        for (var i = 0; !ct.IsCancellationRequested; i++)
        {
            try
            {
                return new StreamsClient(streams.Resolve());
            }
            catch (InvalidOperationException) when (i < 100)
            {
                await Task.Delay(100, ct);
            }
            catch (InvalidOperationException e)
            {
                _logger.LogError("Alerts cannot consume streams: {Message}", e.Message);
                return null;
            }
        }

        return null;
    }

    private async Task ApplyResourcesAsync(CancellationToken ct)
    {
        if (string.IsNullOrEmpty(settings.ResourcesFile)) return;
        var resources = ResourcesFile.Load(settings.ResourcesFile);
        foreach (var (table, limits) in resources.Limits) await store.ReplaceLimitsAsync(table, limits, ct);
        foreach (var (table, (bucket, key)) in resources.S3Limits) await store.ReplaceLimitsAsync(table, await limitsLoader.FromS3Async(bucket, key, ct), ct);
        foreach (var rule in resources.Rules) await store.SaveRuleAsync(rule, "resources", Now, ct);
        _logger.LogInformation("Applied {Rules} rules and {Tables} limits tables from {File}", resources.Rules.Count, resources.Limits.Count + resources.S3Limits.Count, settings.ResourcesFile);
    }

    /// <summary>One consumer per stream some rule reads; stops consumers of streams no rule reads any more.</summary>
    private void SyncConsumers(StreamsClient client, CancellationToken ct)
    {
        var wanted = catalog.ByStream;
        foreach (var stream in wanted.Keys)
        {
            if (_consumers.TryGetValue(stream, out var running) && !running.Run.IsCompleted) continue;
            var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _consumers[stream] = (stop, Task.Run(() => ConsumeAsync(client, stream, stop.Token), CancellationToken.None));
        }

        foreach (var stream in _consumers.Keys.Where(s => !wanted.ContainsKey(s)).ToList())
        {
            _consumers[stream].Stop.Cancel();
            _consumers.Remove(stream);
        }
    }

    private async Task ConsumeAsync(StreamsClient client, string stream, CancellationToken ct)
    {
        var consumer = new StreamConsumer(client, new StreamConsumerOptions
        {
            StreamName = stream,
            ConsumerGroup = ConsumerGroup,
            WorkerId = _owner,
            TakeInterval = TimeSpan.FromSeconds(1),
        }, loggers.CreateLogger<StreamConsumer>());
        var applied = new Dictionary<string, string>(StringComparer.Ordinal);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await consumer.RunAsync(async (batch, token) =>
                {
                    if (!catalog.ByStream.TryGetValue(stream, out var rules)) return;
                    string? done;
                    lock (applied) applied.TryGetValue(batch.ShardId, out done);
                    done ??= await store.GetAppliedAsync(stream, batch.ShardId, token);
                    while (true)
                    {
                        var view = rules.CreateView();
                        var result = new EvaluationBatch();
                        string? last = null;
                        foreach (var record in batch.Records)
                        {
                            // Records a crashed run or a previous lease holder already applied are skipped, so totals never double.
                            if (done is not null && SequenceNumbers.Compare(record.SequenceNumber, done) <= 0) continue;
                            rules.Evaluate(view, record.Data.Span, record.ApproximateArrivalTimestampMs, catalog, result);
                            last = record.SequenceNumber;
                        }

                        if (last is null) return;
                        var outcome = await store.ApplyBatchAsync(stream, batch.ShardId, done, last, result, catalog, Now, token);
                        if (outcome is null)
                        {
                            // Another worker applied this shard meanwhile (the lease moved): start from where it got to.
                            done = await store.GetAppliedAsync(stream, batch.ShardId, token);
                            continue;
                        }

                        if (outcome.Value) Wake();
                        lock (applied) applied[batch.ShardId] = last;
                        return;
                    }
                }, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // Typically the stream does not exist yet; rules may name streams created later.
                _logger.LogDebug("Consuming {Stream} stopped: {Message}; retrying", stream, e.Message);
                try
                {
                    await Task.Delay(1000, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}

/// <summary>Kinesis sequence numbers are decimal strings of up to 128 bits: compare by length, then digits.</summary>
public static class SequenceNumbers
{
    public static int Compare(string a, string b) => a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b);
}
