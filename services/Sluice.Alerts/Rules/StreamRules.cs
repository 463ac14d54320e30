using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sluice.Alerts.Rules;

/// <summary>Per-key limits the rules compare with (the limits tables the service keeps).</summary>
public interface ILimitLookup
{
    bool TryGet(string table, string key, out double limit);
}

/// <summary>One alert condition outcome for a key in a batch (see <see cref="EvaluationBatch.Signal"/> for how outcomes combine).</summary>
public readonly record struct Signal(bool Fire, double Value, long AtMs);

/// <summary>What evaluating a batch of records produced, applied to storage in one transaction. Reused between batches.</summary>
public sealed class EvaluationBatch
{
    public EvaluationBatch()
    {
        var comparer = new OutcomeComparer();
        Signals = new(comparer);
        Totals = new(comparer);
        Windows = new(comparer);
    }

    public Dictionary<(CompiledRule Rule, string Key), Signal> Signals { get; }

    public Dictionary<(CompiledRule Rule, string Key, string Period), (double Sum, long EndMs, long AtMs)> Totals { get; }

    public Dictionary<(CompiledRule Rule, string Key, long WindowStart), double> Windows { get; }

    public int Records { get; set; }

    public bool IsEmpty => Signals.Count == 0 && Totals.Count == 0 && Windows.Count == 0;

    /// <summary>
    /// Records a key's outcome. A crossing is never hidden by a later record of the same batch that is back under the
    /// limit (an analytics app ranking a second's rows by score puts the anomaly first): the batch's outcome is the
    /// first crossing, else the last record; the alert resolves on a record under the limit in a later batch.
    /// </summary>
    public void Signal(CompiledRule rule, string key, Signal signal)
    {
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(Signals, (rule, key), out var exists);
        if (!exists || !slot.Fire) slot = signal;
    }

    public void Clear()
    {
        Signals.Clear();
        Totals.Clear();
        Windows.Clear();
        Records = 0;
    }
}

/// <summary>
/// Compares outcome keys by rule identity and key text. Every rule a record reaches writes an outcome under the same
/// key string, so the key's hash is computed once per record rather than once per rule.
/// </summary>
internal sealed class OutcomeComparer :
    IEqualityComparer<(CompiledRule Rule, string Key)>,
    IEqualityComparer<(CompiledRule Rule, string Key, string Period)>,
    IEqualityComparer<(CompiledRule Rule, string Key, long WindowStart)>
{
    private string? _key;
    private int _keyHash;
    private string? _period;
    private int _periodHash;

    public bool Equals((CompiledRule Rule, string Key) x, (CompiledRule Rule, string Key) y) =>
        ReferenceEquals(x.Rule, y.Rule) && string.Equals(x.Key, y.Key, StringComparison.Ordinal);

    public bool Equals((CompiledRule Rule, string Key, string Period) x, (CompiledRule Rule, string Key, string Period) y) =>
        ReferenceEquals(x.Rule, y.Rule) && string.Equals(x.Key, y.Key, StringComparison.Ordinal) && string.Equals(x.Period, y.Period, StringComparison.Ordinal);

    public bool Equals((CompiledRule Rule, string Key, long WindowStart) x, (CompiledRule Rule, string Key, long WindowStart) y) =>
        ReferenceEquals(x.Rule, y.Rule) && x.WindowStart == y.WindowStart && string.Equals(x.Key, y.Key, StringComparison.Ordinal);

    public int GetHashCode((CompiledRule Rule, string Key) obj) => (RuntimeHelpers.GetHashCode(obj.Rule) * -1521134295) + KeyHash(obj.Key);

    public int GetHashCode((CompiledRule Rule, string Key, string Period) obj) => (((RuntimeHelpers.GetHashCode(obj.Rule) * -1521134295) + KeyHash(obj.Key)) * -1521134295) + PeriodHash(obj.Period);

    public int GetHashCode((CompiledRule Rule, string Key, long WindowStart) obj) => (((RuntimeHelpers.GetHashCode(obj.Rule) * -1521134295) + KeyHash(obj.Key)) * -1521134295) + obj.WindowStart.GetHashCode();

    private int KeyHash(string key)
    {
        if (!ReferenceEquals(key, _key))
        {
            _keyHash = StringComparer.Ordinal.GetHashCode(key);
            _key = key;
        }

        return _keyHash;
    }

    private int PeriodHash(string period)
    {
        if (!ReferenceEquals(period, _period))
        {
            _periodHash = StringComparer.Ordinal.GetHashCode(period);
            _period = period;
        }

        return _periodHash;
    }
}

/// <summary>
/// The rules reading one stream, compiled against the fields they use; evaluates records into an <see cref="EvaluationBatch"/>.
/// Rules whose conditions only filter (anomaly, accumulate, absence) and include an equality are indexed by that
/// field and value, so a record visits the rules its value selects plus the rest; the outcome is the same as visiting
/// every rule, since a filtered-out record leaves such a rule untouched.
/// </summary>
public sealed class StreamRules
{
    private readonly Entry[] _entries;
    private readonly Entry[] _always;
    private readonly FieldIndex[] _index;
    private readonly List<string> _fields = [];
    private readonly HashSet<string> _textFields = new(StringComparer.Ordinal);

    public StreamRules(string stream, IReadOnlyList<CompiledRule> rules)
    {
        Stream = stream;
        Rules = rules;
        _entries = new Entry[rules.Count];
        var always = new List<Entry>();
        var index = new Dictionary<int, (Dictionary<string, List<Entry>> Text, Dictionary<double, List<Entry>> Number)>();
        for (var i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            var conditionSlots = new int[r.Where.Count];
            for (var c = 0; c < r.Where.Count; c++)
            {
                conditionSlots[c] = Slot(r.Where[c].Field);
                if (r.Where[c].Text is not null) _textFields.Add(r.Where[c].Field);
            }

            if (r.KeyField is not null) _textFields.Add(r.KeyField);
            if (r.TimeField is not null) _textFields.Add(r.TimeField);
            var needsLimit = r.Kind == RuleKind.Anomaly || r.Where.Any(c => c.UsesLimit);
            var entry = new Entry(r, [.. r.Where], needsLimit, r.KeyField is null ? -1 : Slot(r.KeyField), r.ValueField is null ? -1 : Slot(r.ValueField), r.TimeField is null ? -1 : Slot(r.TimeField), conditionSlots);
            _entries[i] = entry;

            var eq = IndexCondition(r);
            if (eq < 0)
            {
                always.Add(entry);
                continue;
            }

            var slot = conditionSlots[eq];
            if (!index.TryGetValue(slot, out var buckets)) index[slot] = buckets = (new(StringComparer.Ordinal), []);
            var condition = r.Where[eq];
            var bucket = condition.Text is { } text
                ? CollectionsMarshal.GetValueRefOrAddDefault(buckets.Text, text, out _) ??= []
                : CollectionsMarshal.GetValueRefOrAddDefault(buckets.Number, condition.Number, out _) ??= [];
            bucket.Add(entry);
        }

        _always = [.. always];
        _index = [.. index.Select(f => new FieldIndex(f.Key, f.Value.Text.ToDictionary(b => b.Key, b => b.Value.ToArray(), StringComparer.Ordinal), f.Value.Number.ToDictionary(b => b.Key, b => b.Value.ToArray())))];
    }

    public string Stream { get; }

    public IReadOnlyList<CompiledRule> Rules { get; }

    /// <summary>Rules visited by every record (not indexed by an equality).</summary>
    public int UnindexedRules => _always.Length;

    /// <summary>A reader for this stream's fields; one per consumer thread.</summary>
    public RecordView CreateView() => new(_fields, _textFields);

    /// <summary>Evaluates one record against the rules of the stream it can affect.</summary>
    public void Evaluate(RecordView view, ReadOnlySpan<byte> data, long arrivalMs, ILimitLookup limits, EvaluationBatch batch)
    {
        if (!view.Read(data)) return;
        batch.Records++;
        var memo = new LimitMemo();
        foreach (var e in _always) Apply(e, view, arrivalMs, limits, batch, ref memo);
        foreach (var f in _index)
        {
            var slot = f.Slot;
            if (!view.Present[slot]) continue;
            if (f.Text.Count > 0 && view.Texts[slot] is { } text && f.Text.TryGetValue(text, out var byText))
            {
                foreach (var e in byText) Apply(e, view, arrivalMs, limits, batch, ref memo);
            }

            if (f.Number.Count > 0 && view.IsNumber[slot] && f.Number.TryGetValue(view.Numbers[slot], out var byNumber))
            {
                foreach (var e in byNumber) Apply(e, view, arrivalMs, limits, batch, ref memo);
            }
        }
    }

    /// <summary>Evaluates one record against every rule of the stream, without the index (the reference the index is checked against).</summary>
    public void EvaluateAll(RecordView view, ReadOnlySpan<byte> data, long arrivalMs, ILimitLookup limits, EvaluationBatch batch)
    {
        if (!view.Read(data)) return;
        batch.Records++;
        var memo = new LimitMemo();
        foreach (var e in _entries) Apply(e, view, arrivalMs, limits, batch, ref memo);
    }

    /// <summary>The key's limit: its row in the rule's limits table, else the rule's threshold, else +∞ (never crossed).</summary>
    public static double Limit(CompiledRule rule, string key, ILimitLookup limits) =>
        rule.LimitsTable is not null && limits.TryGet(rule.LimitsTable, key, out var l) ? l : rule.Threshold ?? double.PositiveInfinity;

    /// <summary>
    /// The equality condition a rule is indexed by, or -1. Threshold rules are never indexed: their conditions are the
    /// alert condition, so a record that fails them still resolves the key's alert.
    /// </summary>
    private static int IndexCondition(CompiledRule rule)
    {
        if (rule.Kind == RuleKind.Threshold) return -1;
        for (var c = 0; c < rule.Where.Count; c++)
        {
            var condition = rule.Where[c];
            if (condition.Op != ConditionOp.Eq || condition.UsesLimit) continue;

            // NaN never equals a value but a dictionary would find it.
            if (condition.Text is not null || !double.IsNaN(condition.Number)) return c;
        }

        return -1;
    }

    private static void Apply(Entry e, RecordView view, long arrivalMs, ILimitLookup limits, EvaluationBatch batch, ref LimitMemo memo)
    {
        var rule = e.Rule;
        var key = "";
        if (e.KeySlot >= 0)
        {
            if (!view.Present[e.KeySlot] || view.Texts[e.KeySlot] is not { } k) return;
            key = k;
        }

        var limit = 0.0;
        if (e.NeedsLimit)
        {
            // Rules of a stream usually share the key and the limits table: look the row up once per record (the
            // fallback when there is none is each rule's own threshold).
            limit = rule.Threshold ?? double.PositiveInfinity;
            if (rule.LimitsTable is { } table)
            {
                if (!ReferenceEquals(key, memo.Key) || !string.Equals(table, memo.Table, StringComparison.Ordinal))
                {
                    var found = limits.TryGet(table, key, out var row);
                    memo = new LimitMemo(table, key, found, row);
                }

                if (memo.Found) limit = memo.Limit;
            }
        }

        var at = arrivalMs;
        if (e.TimeSlot >= 0 && !view.TryGetTime(e.TimeSlot, out at)) at = arrivalMs;

        var matched = true;
        var firstValue = 0.0;
        var where = e.Where;
        var slots = e.ConditionSlots;
        for (var c = 0; c < where.Length; c++)
        {
            var slot = slots[c];
            if (c == 0 && view.IsNumber[slot]) firstValue = view.Numbers[slot];
            if (!where[c].Matches(view, slot, limit))
            {
                matched = false;
                break;
            }
        }

        switch (rule.Kind)
        {
            case RuleKind.Threshold:
                batch.Signal(rule, key, new Signal(matched, firstValue, at));
                break;
            case RuleKind.Anomaly:
                if (!matched || !view.Present[e.ValueSlot] || !view.IsNumber[e.ValueSlot]) break;
                var score = view.Numbers[e.ValueSlot];
                batch.Signal(rule, key, new Signal(score > limit, score, at));
                break;
            case RuleKind.Accumulate:
                if (!matched || !view.Present[e.ValueSlot] || !view.IsNumber[e.ValueSlot]) break;
                var (period, end) = rule.Reset!.Of(at);
                ref var total = ref CollectionsMarshal.GetValueRefOrAddDefault(batch.Totals, (rule, key, period), out _);
                total = (total.Sum + view.Numbers[e.ValueSlot], end, Math.Max(total.AtMs, at));
                break;
            case RuleKind.Absence:
                if (!matched) break;
                var count = 1.0;
                if (e.ValueSlot >= 0)
                {
                    if (!view.Present[e.ValueSlot] || !view.IsNumber[e.ValueSlot]) break;
                    count = view.Numbers[e.ValueSlot];
                }

                var windowMs = (long)rule.Window.TotalMilliseconds;
                var start = at - (((at % windowMs) + windowMs) % windowMs);
                ref var windowTotal = ref CollectionsMarshal.GetValueRefOrAddDefault(batch.Windows, (rule, key, start), out _);
                windowTotal += count;
                break;
        }
    }

    private int Slot(string field)
    {
        var i = _fields.IndexOf(field);
        if (i >= 0) return i;
        _fields.Add(field);
        return _fields.Count - 1;
    }

    private readonly record struct LimitMemo(string? Table, string? Key, bool Found, double Limit);

    private sealed record Entry(CompiledRule Rule, Condition[] Where, bool NeedsLimit, int KeySlot, int ValueSlot, int TimeSlot, int[] ConditionSlots);

    /// <summary>The indexed rules of one field, by the value their equality asks for (as text or as a number).</summary>
    private sealed record FieldIndex(int Slot, Dictionary<string, Entry[]> Text, Dictionary<double, Entry[]> Number);
}
