namespace Sluice.Alerts.Rules;

/// <summary>How a rule turns records into alerts.</summary>
public enum RuleKind
{
    /// <summary>Fires per record (per key) while the conditions hold, resolves when a record no longer matches.</summary>
    Threshold,

    /// <summary>Fires when the score field exceeds the key's limit.</summary>
    Anomaly,

    /// <summary>Fires once the key's running total for the period reaches its limit; resolves when the period ends.</summary>
    Accumulate,

    /// <summary>Evaluated on a timer per window: fires for keys whose count is below their limit, zero events included.</summary>
    Absence,
}

/// <summary>A comparison a condition makes.</summary>
public enum ConditionOp
{
    Gt,
    Gte,
    Lt,
    Lte,
    Eq,
    Ne,
    Between,
    Exists,
    Missing,
}
