using System.Globalization;
using System.Text.RegularExpressions;

namespace Sluice.Alerts.Rules;

/// <summary>A validated rule, ready to evaluate: durations parsed, conditions typed, notifiers checked.</summary>
public sealed partial class CompiledRule
{
    private static readonly string[] Types = ["threshold", "anomaly", "accumulate", "absence"];

    private CompiledRule(RuleDefinition definition, string name, string stream, RuleKind kind)
    {
        Definition = definition;
        Name = name;
        Stream = stream;
        Kind = kind;
    }

    public RuleDefinition Definition { get; }

    public string Name { get; }

    public string Stream { get; }

    public RuleKind Kind { get; }

    public string? KeyField { get; private set; }

    public IReadOnlyList<Condition> Where { get; private set; } = [];

    /// <summary>accumulate: Sum; absence: Count (null = one per record); anomaly: Score.</summary>
    public string? ValueField { get; private set; }

    public double? Threshold { get; private set; }

    public string? LimitsTable { get; private set; }

    public Period? Reset { get; private set; }

    public TimeSpan Window { get; private set; }

    public TimeSpan Delay { get; private set; }

    public string? TimeField { get; private set; }

    public IReadOnlyDictionary<string, string> Labels { get; private set; } = new Dictionary<string, string>();

    public IReadOnlyList<string> GroupBy { get; private set; } = [];

    public TimeSpan GroupWait { get; private set; }

    public TimeSpan GroupInterval { get; private set; }

    public TimeSpan RepeatInterval { get; private set; }

    public IReadOnlyList<NotifierDefinition> Notify { get; private set; } = [];

    public string Summary { get; private set; } = "";

    /// <summary>Checks <paramref name="d"/>; throws <see cref="RuleException"/> naming the first bad field (prefixed by <paramref name="path"/>).</summary>
    public static CompiledRule Compile(RuleDefinition d, string path = "")
    {
        string F(string field) => path + field;
        if (string.IsNullOrWhiteSpace(d.Name)) throw new RuleException(F("name"), "is required");
        if (!NamePattern().IsMatch(d.Name)) throw new RuleException(F("name"), "must be 1-128 characters of A-Z a-z 0-9 _ . -");
        if (string.IsNullOrWhiteSpace(d.Stream)) throw new RuleException(F("stream"), "is required (the stream the rule reads)");
        if (d.Stream.Length > 128) throw new RuleException(F("stream"), "must be at most 128 characters");
        var kind = (d.Type ?? "threshold") switch
        {
            "threshold" => RuleKind.Threshold,
            "anomaly" => RuleKind.Anomaly,
            "accumulate" => RuleKind.Accumulate,
            "absence" => RuleKind.Absence,
            _ => throw new RuleException(F("type"), $"must be one of {string.Join(", ", Types)}, got '{d.Type}'"),
        };
        var rule = new CompiledRule(d, d.Name, d.Stream, kind) { KeyField = NullIfEmpty(d.Key), LimitsTable = NullIfEmpty(d.Limits), Threshold = d.Threshold, TimeField = NullIfEmpty(d.TimeField) };
        if (rule.LimitsTable is not null && rule.KeyField is null) throw new RuleException(F("key"), "is required when limits names a limits table (limits are per key)");

        var conditions = new List<Condition>();
        for (var i = 0; i < (d.Where?.Count ?? 0); i++) conditions.Add(Condition.Compile(d.Where![i], $"{path}where[{i}]."));
        rule.Where = conditions;
        var usesLimit = conditions.Any(c => c.UsesLimit);

        switch (kind)
        {
            case RuleKind.Threshold:
                if (conditions.Count == 0) throw new RuleException(F("where"), "a threshold rule needs at least one condition");
                break;
            case RuleKind.Anomaly:
                rule.ValueField = NullIfEmpty(d.Score) ?? "ANOMALY_SCORE";
                usesLimit = true;
                break;
            case RuleKind.Accumulate:
                rule.ValueField = NullIfEmpty(d.Sum) ?? throw new RuleException(F("sum"), "is required for an accumulate rule (the field added to the running total)");
                if (rule.KeyField is null) throw new RuleException(F("key"), "is required for an accumulate rule (totals are per key)");
                rule.Reset = Period.Parse(d.Reset ?? "") ?? throw new RuleException(F("reset"), $"must be hour, day, week, month or a duration like 10m, got '{d.Reset}'");
                usesLimit = true;
                break;
            case RuleKind.Absence:
                rule.ValueField = NullIfEmpty(d.Count);
                if (rule.KeyField is null) throw new RuleException(F("key"), "is required for an absence rule (counts are per key)");
                if (!Durations.TryParse(d.Window, out var window) || window < TimeSpan.FromSeconds(1)) throw new RuleException(F("window"), $"must be a duration of at least 1s (e.g. 30m), got '{d.Window}'");
                rule.Window = window;
                rule.Delay = Duration(d.Delay, F("delay"), TimeSpan.Zero);
                usesLimit = true;
                break;
        }

        if (usesLimit && rule.Threshold is null && rule.LimitsTable is null)
        {
            throw new RuleException(F("threshold"), "is required (or limits: a limits table) to compare against");
        }

        rule.GroupWait = Duration(d.GroupWait, F("groupWait"), TimeSpan.FromSeconds(30));
        rule.GroupInterval = Duration(d.GroupInterval, F("groupInterval"), TimeSpan.FromMinutes(5));
        rule.RepeatInterval = Duration(d.RepeatInterval, F("repeatInterval"), TimeSpan.FromHours(4));
        if (rule.RepeatInterval < TimeSpan.FromSeconds(1)) throw new RuleException(F("repeatInterval"), "must be at least 1s");
        if (rule.GroupInterval < TimeSpan.FromMilliseconds(100)) throw new RuleException(F("groupInterval"), "must be at least 100ms");

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in d.Labels ?? [])
        {
            if (!LabelPattern().IsMatch(k)) throw new RuleException(F($"labels.{k}"), "label names must match [A-Za-z_][A-Za-z0-9_]*");
            labels[k] = v;
        }

        if (!string.IsNullOrEmpty(d.Severity)) labels["severity"] = d.Severity;
        rule.Labels = labels;
        rule.GroupBy = d.GroupBy?.ToList() ?? [];
        rule.Summary = d.Summary ?? DefaultSummary(rule);

        var notify = d.Notify ?? [];
        for (var i = 0; i < notify.Count; i++) CheckNotifier(notify[i], $"{path}notify[{i}].");
        rule.Notify = notify;
        return rule;
    }

    private static void CheckNotifier(NotifierDefinition n, string path)
    {
        switch (n.Type)
        {
            case "webhook" or "slack":
                if (!Uri.TryCreate(n.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) throw new RuleException(path + "url", $"must be an http:// or https:// URL, got '{n.Url}'");
                break;
            case "email":
                if (n.To is not { Count: > 0 } || n.To.Any(t => !t.Contains('@', StringComparison.Ordinal))) throw new RuleException(path + "to", "needs at least one e-mail address");
                break;
            case "eventbus":
                break;
            default:
                throw new RuleException(path + "type", $"must be one of webhook, slack, email, eventbus, got '{n.Type}'");
        }
    }

    private static string DefaultSummary(CompiledRule r) => r.Kind switch
    {
        RuleKind.Accumulate => $"{r.ValueField} total per {r.KeyField} reached its limit",
        RuleKind.Absence => $"{r.ValueField ?? "records"} per {r.KeyField} in {r.Window} fell below its threshold",
        RuleKind.Anomaly => $"{r.ValueField} over its threshold",
        _ => $"{r.Name} conditions hold",
    };

    private static TimeSpan Duration(string? text, string field, TimeSpan fallback)
    {
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        return Durations.TryParse(text, out var d) ? d : throw new RuleException(field, $"must be a duration like 500ms, 30s, 10m, 1h or PT10M, got '{text}'");
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,128}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex LabelPattern();
}

/// <summary>A typed condition on one record field.</summary>
public sealed class Condition
{
    private Condition(string field, ConditionOp op)
    {
        Field = field;
        Op = op;
    }

    public string Field { get; }

    public ConditionOp Op { get; }

    public double Number { get; private set; }

    /// <summary>The value compared as text (eq/ne on a non-numeric value).</summary>
    public string? Text { get; private set; }

    public double Min { get; private set; }

    public double Max { get; private set; }

    public bool UsesLimit { get; private set; }

    public static Condition Compile(ConditionDefinition d, string path)
    {
        if (string.IsNullOrWhiteSpace(d.Field)) throw new RuleException(path + "field", "is required");
        var op = (d.Op ?? "") switch
        {
            "gt" or ">" => ConditionOp.Gt,
            "gte" or ">=" => ConditionOp.Gte,
            "lt" or "<" => ConditionOp.Lt,
            "lte" or "<=" => ConditionOp.Lte,
            "eq" or "==" => ConditionOp.Eq,
            "ne" or "!=" => ConditionOp.Ne,
            "between" => ConditionOp.Between,
            "exists" => ConditionOp.Exists,
            "missing" => ConditionOp.Missing,
            _ => throw new RuleException(path + "op", $"must be one of gt, gte, lt, lte, eq, ne, between, exists, missing, got '{d.Op}'"),
        };
        var c = new Condition(d.Field, op) { UsesLimit = d.Limit };
        switch (op)
        {
            case ConditionOp.Between:
                if (d.Min is null || d.Max is null) throw new RuleException(path + (d.Min is null ? "min" : "max"), "is required for between");
                if (d.Min > d.Max) throw new RuleException(path + "min", "must not exceed max");
                c.Min = d.Min.Value;
                c.Max = d.Max.Value;
                break;
            case ConditionOp.Gt or ConditionOp.Gte or ConditionOp.Lt or ConditionOp.Lte:
                if (d.Limit) break;
                if (!double.TryParse(d.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) throw new RuleException(path + "value", $"must be a number for {d.Op} (or set limit: true), got '{d.Value}'");
                c.Number = n;
                break;
            case ConditionOp.Eq or ConditionOp.Ne:
                if (d.Limit) break;
                if (d.Value is null) throw new RuleException(path + "value", $"is required for {d.Op}");
                if (double.TryParse(d.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var e)) c.Number = e;
                else c.Text = d.Value;
                break;
        }

        return c;
    }

    /// <summary>True when the record's field satisfies the condition; <paramref name="limit"/> replaces the value when <see cref="UsesLimit"/>.</summary>
    public bool Matches(RecordView record, int slot, double limit)
    {
        var present = record.Present[slot];
        if (Op == ConditionOp.Exists) return present;
        if (Op == ConditionOp.Missing) return !present;
        if (!present) return false;
        if (Text is not null)
        {
            var equal = string.Equals(record.Texts[slot], Text, StringComparison.Ordinal);
            return Op == ConditionOp.Eq ? equal : !equal;
        }

        if (!record.IsNumber[slot]) return Op == ConditionOp.Ne;
        var v = record.Numbers[slot];
        var target = UsesLimit ? limit : Number;
        return Op switch
        {
            ConditionOp.Gt => v > target,
            ConditionOp.Gte => v >= target,
            ConditionOp.Lt => v < target,
            ConditionOp.Lte => v <= target,
            ConditionOp.Eq => v == target,
            ConditionOp.Ne => v != target,
            ConditionOp.Between => v >= Min && v <= Max,
            _ => false,
        };
    }
}
