namespace Sluice.Alerts.Rules;

/// <summary>A rule as users write it, in the resources file's <c>rules:</c> section or as the REST API's body (YAML or JSON, camelCase).</summary>
public sealed class RuleDefinition
{
    public string? Name { get; set; }

    /// <summary>The Sluice stream whose records the rule reads.</summary>
    public string? Stream { get; set; }

    /// <summary>threshold | anomaly | accumulate | absence.</summary>
    public string? Type { get; set; }

    /// <summary>Record field naming the entity (customer, booth, sensor): alerts, totals and limits are per key.</summary>
    public string? Key { get; set; }

    /// <summary>Conditions on record fields; all must hold (threshold: the alert condition; other types: a filter).</summary>
    public List<ConditionDefinition>? Where { get; set; }

    /// <summary>accumulate: the numeric field added to the running total.</summary>
    public string? Sum { get; set; }

    /// <summary>absence: the numeric field counted per window (unset: each record counts one).</summary>
    public string? Count { get; set; }

    /// <summary>anomaly: the score field (default ANOMALY_SCORE).</summary>
    public string? Score { get; set; }

    /// <summary>The limit every key gets when the limits table has no row for it.</summary>
    public double? Threshold { get; set; }

    /// <summary>Name of the limits table holding per-key limits (absence: also the keys expected to report).</summary>
    public string? Limits { get; set; }

    /// <summary>accumulate: when the running total starts again: hour, day, week, month or a duration (10m, 1h).</summary>
    public string? Reset { get; set; }

    /// <summary>absence: window length (e.g. 30m).</summary>
    public string? Window { get; set; }

    /// <summary>absence: how long after a window ends it is evaluated, for late results (default 0s).</summary>
    public string? Delay { get; set; }

    /// <summary>Record field with the event time (e.g. WINDOW_START); unset: the record's arrival time.</summary>
    public string? TimeField { get; set; }

    public string? Severity { get; set; }

    public string? Summary { get; set; }

    public Dictionary<string, string>? Labels { get; set; }

    /// <summary>Labels grouping alerts into one notification (default: the rule only).</summary>
    public List<string>? GroupBy { get; set; }

    public string? GroupWait { get; set; }

    public string? GroupInterval { get; set; }

    public string? RepeatInterval { get; set; }

    public List<NotifierDefinition>? Notify { get; set; }
}

/// <summary>One condition on a record field.</summary>
public sealed class ConditionDefinition
{
    public string? Field { get; set; }

    /// <summary>gt | gte | lt | lte | eq | ne | between | exists | missing.</summary>
    public string? Op { get; set; }

    public string? Value { get; set; }

    public double? Min { get; set; }

    public double? Max { get; set; }

    /// <summary>Compare with the key's limit (limits table, else the rule's threshold) instead of <see cref="Value"/>.</summary>
    public bool Limit { get; set; }
}

/// <summary>Where a rule's notifications go.</summary>
public sealed class NotifierDefinition
{
    /// <summary>webhook | slack | email | eventbus.</summary>
    public string? Type { get; set; }

    public string? Url { get; set; }

    /// <summary>webhook: HMAC-SHA256 key for the X-Sluice-Signature header.</summary>
    public string? Secret { get; set; }

    public List<string>? To { get; set; }

    public string? From { get; set; }

    public string? Topic { get; set; }

    public string? Channel { get; set; }
}
