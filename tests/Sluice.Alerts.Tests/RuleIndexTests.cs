using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Sluice.Alerts.Rules;

namespace Sluice.Alerts.Tests;

/// <summary>The rule index of a stream: a record visits only the rules its equality values select, with the outcome of visiting all of them.</summary>
public sealed class RuleIndexTests
{
    private sealed class Limits(Dictionary<string, double> rows) : ILimitLookup
    {
        public bool TryGet(string table, string key, out double limit) => rows.TryGetValue(key, out limit);
    }

    private static readonly string[] Fields = ["K", "A", "B", "V", "T"];
    private static readonly string[] Texts = ["x", "y", "eu", "1", "1.0", "-0", "0", "2.5", "true", "NaN", "\\u0078"];
    private static readonly string[] Ops = ["eq", "eq", "eq", "ne", "gt", "lte", "between", "exists", "missing"];

    [Test]
    public void Indexed_evaluation_equals_visiting_every_rule_for_random_rules_and_records()
    {
        Prop.ForAll(Gen.Choose(1, 1_000_000).ToArbitrary(), seed =>
        {
            var random = new Random(seed);
            var rules = RandomRules(random);
            var stream = new StreamRules("s", rules);
            var limits = new Limits(new() { ["x"] = 1, ["y"] = 3, ["1"] = 0.5 });
            var indexed = new EvaluationBatch();
            var everyRule = new EvaluationBatch();
            var view = stream.CreateView();
            var reference = stream.CreateView();
            var records = Enumerable.Range(0, random.Next(1, 80)).Select(_ => RandomRecord(random)).ToList();
            foreach (var r in records)
            {
                var bytes = Encoding.UTF8.GetBytes(r);
                stream.Evaluate(view, bytes, 1_714_550_400_000, limits, indexed);
                stream.EvaluateAll(reference, bytes, 1_714_550_400_000, limits, everyRule);
            }

            var (a, b) = (Outcomes(indexed), Outcomes(everyRule));
            if (a.SequenceEqual(b)) return true;
            TestContext.Out.WriteLine($"seed {seed}: indexed only {string.Join(" | ", a.Except(b))}; every rule only {string.Join(" | ", b.Except(a))}");
            foreach (var r in rules) TestContext.Out.WriteLine($"{r.Name} {r.Kind} key={r.KeyField} where={string.Join(" and ", r.Where.Select(c => $"{c.Field} {c.Op} {c.Text ?? c.Number.ToString(CultureInfo.InvariantCulture)}"))}");
            foreach (var r in records) TestContext.Out.WriteLine(r);
            return false;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Test]
    public void Random_rules_are_mostly_indexed_so_the_equivalence_property_exercises_the_index()
    {
        var random = new Random(7);
        var indexed = 0;
        var total = 0;
        for (var i = 0; i < 50; i++)
        {
            var rules = RandomRules(random);
            var stream = new StreamRules("s", rules);
            indexed += rules.Count - stream.UnindexedRules;
            total += rules.Count;
        }

        Assert.That(indexed, Is.GreaterThan(total / 4));
    }

    [Test]
    public void A_record_reaches_only_the_rules_whose_equality_it_matches()
    {
        var rules = Enumerable.Range(0, 1000).Select(i => CompiledRule.Compile(new RuleDefinition
        {
            Name = $"r{i}", Stream = "s", Type = "accumulate", Key = "C", Sum = "DUE", Reset = "day", Threshold = 100,
            Where = [new() { Field = "REGION", Op = "eq", Value = $"region-{i % 100}" }],
        })).Append(CompiledRule.Compile(new RuleDefinition { Name = "all", Stream = "s", Type = "accumulate", Key = "C", Sum = "DUE", Reset = "day", Threshold = 100 })).ToList();
        var stream = new StreamRules("s", rules);
        var batch = new EvaluationBatch();
        stream.Evaluate(stream.CreateView(), """{"C":"c1","REGION":"region-7","DUE":2}"""u8, 1_714_550_400_000, new Limits([]), batch);
        Assert.That(stream.UnindexedRules, Is.EqualTo(1));
        Assert.That(batch.Totals.Keys.Select(k => k.Rule.Name).Order(StringComparer.Ordinal), Is.EqualTo(new[] { "all", "r107", "r207", "r307", "r407", "r507", "r607", "r7", "r707", "r807", "r907" }));
    }

    [Test]
    public void A_threshold_rule_with_an_equality_is_still_resolved_by_a_record_that_fails_it()
    {
        var rule = CompiledRule.Compile(new RuleDefinition
        {
            Name = "gold-latency", Stream = "s", Key = "C",
            Where = [new() { Field = "TIER", Op = "eq", Value = "gold" }, new() { Field = "MS", Op = "gt", Value = "100" }],
        });
        var stream = new StreamRules("s", [rule]);
        var view = stream.CreateView();
        var batch = new EvaluationBatch();
        stream.Evaluate(view, """{"C":"c1","TIER":"gold","MS":500}"""u8, 1, new Limits([]), batch);
        Assert.That(batch.Signals[(rule, "c1")].Fire, Is.True);
        batch.Clear(); // the next batch (within one batch a crossing stands)
        stream.Evaluate(view, """{"C":"c1","TIER":"silver","MS":500}"""u8, 2, new Limits([]), batch);
        Assert.That(batch.Signals[(rule, "c1")].Fire, Is.False);
        Assert.That(stream.UnindexedRules, Is.EqualTo(1));
    }

    [Test]
    public void Rules_sharing_a_limits_table_fall_back_to_their_own_threshold_for_a_key_without_a_row()
    {
        // The limits row is looked up once per record for all rules; the fallback must stay per rule.
        var strict = CompiledRule.Compile(new RuleDefinition { Name = "a-strict", Stream = "s", Type = "anomaly", Key = "C", Limits = "t", Threshold = 1 });
        var loose = CompiledRule.Compile(new RuleDefinition { Name = "b-loose", Stream = "s", Type = "anomaly", Key = "C", Limits = "t", Threshold = 5 });
        var stream = new StreamRules("s", [strict, loose]);
        var batch = new EvaluationBatch();
        stream.Evaluate(stream.CreateView(), """{"C":"no-row","ANOMALY_SCORE":3}"""u8, 0, new Limits(new() { ["other"] = 10 }), batch);
        Assert.That(batch.Signals[(strict, "no-row")].Fire, Is.True);
        Assert.That(batch.Signals[(loose, "no-row")].Fire, Is.False);
    }

    [Test]
    public void Numeric_equalities_match_numbers_and_numeric_text_whatever_their_spelling()
    {
        var rules = new[] { "0", "1", "2.5" }.Select(v => CompiledRule.Compile(new RuleDefinition
        {
            Name = "n" + v, Stream = "s", Type = "absence", Key = "C", Window = "1m", Threshold = 1, Where = [new() { Field = "A", Op = "eq", Value = v }],
        })).ToList();
        var stream = new StreamRules("s", rules);
        var view = stream.CreateView();
        var batch = new EvaluationBatch();
        foreach (var record in new[] { """{"C":"a","A":-0}""", """{"C":"b","A":1.0}""", """{"C":"c","A":"2.50"}""", """{"C":"d","A":"x"}""", """{"C":"e","A":true}""" })
        {
            stream.Evaluate(view, Encoding.UTF8.GetBytes(record), 0, new Limits([]), batch);
        }

        Assert.That(stream.UnindexedRules, Is.EqualTo(0));
        Assert.That(batch.Windows.Keys.Select(k => $"{k.Rule.Name}:{k.Key}").Order(StringComparer.Ordinal), Is.EqualTo(new[] { "n0:a", "n1:b", "n1:e", "n2.5:c" }));
    }

    private static List<CompiledRule> RandomRules(Random random)
    {
        var rules = new List<CompiledRule>();
        var count = random.Next(1, 40);
        for (var i = 0; i < count; i++)
        {
            var where = new List<ConditionDefinition>();
            for (var c = random.Next(0, 4); c > 0; c--)
            {
                var op = Ops[random.Next(Ops.Length)];
                var value = random.Next(3) == 0 ? random.Next(-2, 4).ToString(CultureInfo.InvariantCulture) : Texts[random.Next(Texts.Length)];
                where.Add(new ConditionDefinition
                {
                    Field = Fields[random.Next(1, Fields.Length)],
                    Op = op,
                    Value = op is "gt" or "lte" ? random.Next(-2, 4).ToString(CultureInfo.InvariantCulture) : value,
                    Min = -1,
                    Max = random.Next(0, 3),
                    Limit = op is "gt" or "lte" && random.Next(4) == 0,
                });
            }

            var d = new RuleDefinition
            {
                Name = $"r{i}",
                Stream = "s",
                Type = new[] { "threshold", "anomaly", "accumulate", "absence" }[random.Next(4)],
                Key = random.Next(5) == 0 ? null : "K",
                Where = where,
                Threshold = random.Next(4) == 0 ? null : random.Next(0, 4),
                Limits = random.Next(2) == 0 ? "t" : null,
                Score = "V",
                Sum = "V",
                Count = random.Next(2) == 0 ? null : "V",
                Reset = random.Next(2) == 0 ? "hour" : "day",
                Window = "10m",
                TimeField = random.Next(2) == 0 ? "T" : null,
            };
            try
            {
                rules.Add(CompiledRule.Compile(d));
            }
            catch (RuleException)
            {
                // An invalid combination (e.g. accumulate without a key): not a rule the service would run.
            }
        }

        return rules;
    }

    private static string RandomRecord(Random random)
    {
        if (random.Next(30) == 0) return "not json";
        var parts = new List<string>();
        foreach (var field in Fields)
        {
            if (random.Next(5) == 0) continue;
            var value = random.Next(8) switch
            {
                0 => random.Next(-2, 4).ToString(CultureInfo.InvariantCulture),
                1 => (random.Next(-4, 8) / 2.0).ToString("0.0", CultureInfo.InvariantCulture),
                2 => random.Next(2) == 0 ? "true" : "false",
                3 => "null",
                4 => """{"x":1}""",
                5 => "-0",
                6 when field == "T" => $"\"2024-05-01 0{random.Next(0, 3)}:{random.Next(0, 6)}5:00.000\"",
                _ => $"\"{Texts[random.Next(Texts.Length)]}\"",
            };
            parts.Add($"\"{field}\":{value}");
        }

        return "{" + string.Join(",", parts) + "}";
    }

    private static List<string> Outcomes(EvaluationBatch batch)
    {
        var lines = new List<string> { $"records {batch.Records}" };
        lines.AddRange(batch.Signals.Select(s => FormattableString.Invariant($"signal {s.Key.Rule.Name} {s.Key.Key} {s.Value}")).Order(StringComparer.Ordinal));
        lines.AddRange(batch.Totals.Select(t => FormattableString.Invariant($"total {t.Key.Rule.Name} {t.Key.Key} {t.Key.Period} {t.Value}")).Order(StringComparer.Ordinal));
        lines.AddRange(batch.Windows.Select(w => FormattableString.Invariant($"window {w.Key.Rule.Name} {w.Key.Key} {w.Key.WindowStart} {w.Value}")).Order(StringComparer.Ordinal));
        return lines;
    }
}
