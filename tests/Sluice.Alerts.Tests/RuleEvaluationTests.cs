using System.Text;
using NUnit.Framework;
using Sluice.Alerts.Rules;

namespace Sluice.Alerts.Tests;

/// <summary>Rules evaluated on records in memory: conditions, per-key limits, accumulation periods, absence windows.</summary>
public sealed class RuleEvaluationTests
{
    private sealed class Limits(Dictionary<string, double> rows) : ILimitLookup
    {
        public bool TryGet(string table, string key, out double limit) => rows.TryGetValue(key, out limit);
    }

    private static EvaluationBatch Run(RuleDefinition definition, ILimitLookup limits, params string[] records)
    {
        var rules = new StreamRules(definition.Stream!, [CompiledRule.Compile(definition)]);
        var view = rules.CreateView();
        var batch = new EvaluationBatch();
        foreach (var r in records) rules.Evaluate(view, Encoding.UTF8.GetBytes(r), 1_714_550_400_000, limits, batch);
        return batch;
    }

    [Test]
    public void Threshold_conditions_compare_numbers_ranges_text_and_presence()
    {
        var rule = new RuleDefinition
        {
            Name = "r", Stream = "s", Key = "ID",
            Where = [new() { Field = "T", Op = "between", Min = 10, Max = 20 }, new() { Field = "KIND", Op = "eq", Value = "freezer" }, new() { Field = "OK", Op = "missing" }],
        };
        var batch = Run(rule, new Limits([]),
            """{"ID":"a","T":15,"KIND":"freezer"}""", """{"ID":"b","T":25,"KIND":"freezer"}""", """{"ID":"c","T":"12.5","KIND":"freezer"}""",
            """{"ID":"d","T":15,"KIND":"fridge"}""", """{"ID":"e","T":15,"KIND":"freezer","OK":true}""", "not json", """{"T":15}""");
        Assert.That(batch.Signals.ToDictionary(s => s.Key.Key, s => s.Value.Fire), Is.EqualTo(new Dictionary<string, bool> { ["a"] = true, ["b"] = false, ["c"] = true, ["d"] = false, ["e"] = false }));
        Assert.That(batch.Records, Is.EqualTo(6));
    }

    [Test]
    public void Anomaly_compares_the_score_with_the_keys_limit_or_the_threshold()
    {
        var rule = new RuleDefinition { Name = "r", Stream = "s", Type = "anomaly", Key = "SENSOR_ID", Threshold = 3, Limits = "t" };
        var batch = Run(rule, new Limits(new() { ["strict"] = 1 }), """{"SENSOR_ID":"strict","ANOMALY_SCORE":2}""", """{"SENSOR_ID":"other","ANOMALY_SCORE":2}""");
        Assert.That(batch.Signals.ToDictionary(s => s.Key.Key, s => s.Value.Fire), Is.EqualTo(new Dictionary<string, bool> { ["strict"] = true, ["other"] = false }));
    }

    [Test]
    public void A_crossing_in_a_batch_is_not_hidden_by_a_later_record_of_the_same_key_under_the_limit()
    {
        var rule = new RuleDefinition { Name = "r", Stream = "s", Type = "anomaly", Key = "SENSOR_ID", Threshold = 3 };
        var batch = Run(rule, new Limits([]),
            """{"SENSOR_ID":"a","ANOMALY_SCORE":1}""", """{"SENSOR_ID":"a","ANOMALY_SCORE":5}""", """{"SENSOR_ID":"a","ANOMALY_SCORE":0.5}""",
            """{"SENSOR_ID":"b","ANOMALY_SCORE":4}""", """{"SENSOR_ID":"b","ANOMALY_SCORE":6}""", """{"SENSOR_ID":"c","ANOMALY_SCORE":4}""", """{"SENSOR_ID":"c","ANOMALY_SCORE":1}""",
            """{"SENSOR_ID":"d","ANOMALY_SCORE":1}""", """{"SENSOR_ID":"d","ANOMALY_SCORE":2}""");
        Assert.That(batch.Signals.ToDictionary(s => s.Key.Key, s => (s.Value.Fire, s.Value.Value)), Is.EqualTo(new Dictionary<string, (bool, double)>
        {
            ["a"] = (true, 5), ["b"] = (true, 4), ["c"] = (true, 4), ["d"] = (false, 2),
        }), "the first crossing stands for the batch; without one, the last record does");
    }

    [Test]
    public void Accumulate_sums_per_key_and_calendar_month_of_the_time_field()
    {
        var rule = new RuleDefinition { Name = "r", Stream = "s", Type = "accumulate", Key = "C", Sum = "DUE", Reset = "month", TimeField = "WINDOW_START", Threshold = 10 };
        var batch = Run(rule, new Limits([]),
            """{"C":"x","DUE":2.5,"WINDOW_START":"2024-05-31 23:50:00.000"}""", """{"C":"x","DUE":1,"WINDOW_START":"2024-05-01 00:00:00.000"}""",
            """{"C":"x","DUE":4,"WINDOW_START":"2024-06-01 00:00:00.000"}""");
        Assert.That(batch.Totals.ToDictionary(t => t.Key.Period, t => t.Value.Sum), Is.EqualTo(new Dictionary<string, double> { ["2024-05"] = 3.5, ["2024-06"] = 4 }));
        Assert.That(batch.Totals.Single(t => t.Key.Period == "2024-05").Value.EndMs, Is.EqualTo(new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds()));
    }

    [Test]
    public void Absence_counts_the_count_field_per_key_and_window()
    {
        var rule = new RuleDefinition { Name = "r", Stream = "s", Type = "absence", Key = "B", Count = "V", Window = "30m", TimeField = "WS", Threshold = 5 };
        var batch = Run(rule, new Limits([]),
            """{"B":"b1","V":3,"WS":"2024-05-01 08:00:00.000"}""", """{"B":"b1","V":4,"WS":"2024-05-01 08:29:59.000"}""", """{"B":"b1","V":1,"WS":"2024-05-01 08:30:00.000"}""");
        var w0 = new DateTimeOffset(2024, 5, 1, 8, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.That(batch.Windows.ToDictionary(w => w.Key.WindowStart, w => w.Value), Is.EqualTo(new Dictionary<long, double> { [w0] = 7, [w0 + 1_800_000] = 1 }));
    }

    [TestCase("500ms", 500)]
    [TestCase("30s", 30_000)]
    [TestCase("10m", 600_000)]
    [TestCase("1h", 3_600_000)]
    [TestCase("PT10M", 600_000)]
    public void Durations_accept_short_and_iso_forms(string text, long ms)
    {
        Assert.That(Durations.TryParse(text, out var parsed), Is.True);
        Assert.That(parsed, Is.EqualTo(TimeSpan.FromMilliseconds(ms)), "the parsed length of the duration text");
    }
}
