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
    public Dictionary<(CompiledRule Rule, string Key), Signal> Signals { get; } = [];

    public Dictionary<(CompiledRule Rule, string Key, string Period), (double Sum, long EndMs, long AtMs)> Totals { get; } = [];

    public Dictionary<(CompiledRule Rule, string Key, long WindowStart), double> Windows { get; } = [];

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

/// <summary>The rules reading one stream, compiled against the fields they use; evaluates records into an <see cref="EvaluationBatch"/>.</summary>
public sealed class StreamRules
{
    private readonly Entry[] _entries;
    private readonly List<string> _fields = [];
    private readonly HashSet<string> _textFields = new(StringComparer.Ordinal);

    public StreamRules(string stream, IReadOnlyList<CompiledRule> rules)
    {
        Stream = stream;
        Rules = rules;
        _entries = new Entry[rules.Count];
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
            _entries[i] = new Entry(r, needsLimit, r.KeyField is null ? -1 : Slot(r.KeyField), r.ValueField is null ? -1 : Slot(r.ValueField), r.TimeField is null ? -1 : Slot(r.TimeField), conditionSlots);
        }
    }

    public string Stream { get; }

    public IReadOnlyList<CompiledRule> Rules { get; }

    /// <summary>A reader for this stream's fields; one per consumer thread.</summary>
    public RecordView CreateView() => new(_fields, _textFields);

    /// <summary>Evaluates one record against every rule of the stream.</summary>
    public void Evaluate(RecordView view, ReadOnlySpan<byte> data, long arrivalMs, ILimitLookup limits, EvaluationBatch batch)
    {
        if (!view.Read(data)) return;
        batch.Records++;

        // Rules of a stream usually share the key and the limits table: look the limit up once per record.
        string? memoTable = null, memoKey = null;
        var memoLimit = 0.0;
        foreach (var e in _entries)
        {
            var rule = e.Rule;
            var key = "";
            if (e.KeySlot >= 0)
            {
                if (!view.Present[e.KeySlot] || view.Texts[e.KeySlot] is not { } k) continue;
                key = k;
            }

            var limit = 0.0;
            if (e.NeedsLimit)
            {
                if (rule.LimitsTable is { } table && ReferenceEquals(table, memoTable) && ReferenceEquals(key, memoKey))
                {
                    limit = memoLimit;
                }
                else
                {
                    limit = Limit(rule, key, limits);
                    if (rule.LimitsTable is not null) (memoTable, memoKey, memoLimit) = (rule.LimitsTable, key, limit);
                }
            }

            var at = arrivalMs;
            if (e.TimeSlot >= 0 && !view.TryGetTime(e.TimeSlot, out at)) at = arrivalMs;

            var matched = true;
            var firstValue = 0.0;
            for (var c = 0; c < e.ConditionSlots.Length; c++)
            {
                var slot = e.ConditionSlots[c];
                if (c == 0 && view.IsNumber[slot]) firstValue = view.Numbers[slot];
                if (!rule.Where[c].Matches(view, slot, limit))
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
                    ref var total = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(batch.Totals, (rule, key, period), out _);
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
                    ref var windowTotal = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(batch.Windows, (rule, key, start), out _);
                    windowTotal += count;
                    break;
            }
        }
    }

    /// <summary>The key's limit: its row in the rule's limits table, else the rule's threshold, else +∞ (never crossed).</summary>
    public static double Limit(CompiledRule rule, string key, ILimitLookup limits) =>
        rule.LimitsTable is not null && limits.TryGet(rule.LimitsTable, key, out var l) ? l : rule.Threshold ?? double.PositiveInfinity;

    private int Slot(string field)
    {
        var i = _fields.IndexOf(field);
        if (i >= 0) return i;
        _fields.Add(field);
        return _fields.Count - 1;
    }

    private sealed record Entry(CompiledRule Rule, bool NeedsLimit, int KeySlot, int ValueSlot, int TimeSlot, int[] ConditionSlots);
}
