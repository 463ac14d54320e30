using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Sluice.Alerts.Rules;
using Sluice.Alerts.Storage;

namespace Sluice.Alerts.Notifiers;

/// <summary>
/// Delivers the outbox: each pending notification is tried (with quick Polly retries), then marked sent, or left pending
/// with a growing delay when its notifier is down. Nothing is dropped; a restart resumes from the outbox, and the
/// idempotency key lets receivers drop the one repeat a crash between sending and marking can cause.
/// </summary>
public sealed class OutboxSender
{
    private readonly AlertsStore _store;
    private readonly TimeProvider _clock;
    private readonly ILogger<OutboxSender> _logger;
    private readonly Dictionary<string, INotifier> _notifiers;
    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions { MaxRetryAttempts = 2, Delay = TimeSpan.FromMilliseconds(100), BackoffType = DelayBackoffType.Exponential, ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException) })
        .AddTimeout(TimeSpan.FromSeconds(10))
        .Build();

    public OutboxSender(AlertsStore store, TimeProvider clock, IEnumerable<INotifier> notifiers, ILogger<OutboxSender> logger)
    {
        _store = store;
        _clock = clock;
        _logger = logger;
        _notifiers = notifiers.ToDictionary(n => n.Type, StringComparer.Ordinal);
    }

    /// <summary>Sends what is due now; returns how many were delivered.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        var due = await _store.PendingNotificationsAsync(_clock.GetUtcNow().ToUnixTimeMilliseconds(), 64, ct);
        if (due.Count == 0) return 0;
        var results = await Task.WhenAll(due.Select(n => SendOneAsync(n, ct)));
        return results.Count(ok => ok);
    }

    private async Task<bool> SendOneAsync(OutboxRow row, CancellationToken ct)
    {
        var attempts = row.Attempts;
        try
        {
            var config = JsonSerializer.Deserialize<NotifierDefinition>(row.Config, AlertsStore.Json)!;
            if (!_notifiers.TryGetValue(row.Notifier, out var notifier)) throw new InvalidOperationException($"unknown notifier type '{row.Notifier}'");
            await _retry.ExecuteAsync(async token =>
            {
                attempts++;
                await notifier.SendAsync(config, row.Payload, row.IdempotencyKey, token);
            }, ct);
            await _store.MarkSentAsync(row.IdempotencyKey, attempts, _clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
            return true;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            var backoff = Math.Min(30_000, 250L << Math.Min(attempts, 7));
            _logger.LogWarning("Notification {Key} ({Notifier}, rule {Rule}) not delivered, attempt {Attempts}; retrying in {Backoff} ms: {Message}", row.IdempotencyKey, row.Notifier, row.Rule, attempts, backoff, e.Message);
            await _store.MarkFailedAsync(row.IdempotencyKey, attempts, e.Message, _clock.GetUtcNow().ToUnixTimeMilliseconds() + backoff, ct);
            return false;
        }
    }
}
