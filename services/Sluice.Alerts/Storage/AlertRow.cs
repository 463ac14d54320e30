namespace Sluice.Alerts.Storage;

/// <summary>An alert as stored and as the API shows it.</summary>
public sealed record AlertRow(
    string Fingerprint,
    string Rule,
    string GroupKey,
    SortedDictionary<string, string> Labels,
    Dictionary<string, string> Annotations,
    string State,
    double Value,
    DateTimeOffset StartsAt,
    DateTimeOffset? EndsAt,
    DateTimeOffset UpdatedAt,
    string? NotifiedState,
    string? AcknowledgedBy,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgementComment);

/// <summary>One event in an alert's history (firing, resolved, notified, acknowledged).</summary>
public sealed record HistoryRow(long Id, string Fingerprint, DateTimeOffset At, string Event, double Value, string? Detail);

/// <summary>A notification in the durable outbox: pending until its notifier accepted it, then sent.</summary>
public sealed record OutboxRow(
    string IdempotencyKey,
    string GroupKey,
    string Rule,
    string Notifier,
    string Config,
    string Payload,
    string State,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SentAt);
