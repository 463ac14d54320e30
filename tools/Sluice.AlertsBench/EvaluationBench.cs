using System.Diagnostics;
using System.Globalization;
using System.Text;
using Sluice.Alerts.Rules;

namespace Sluice.AlertsBench;

/// <summary>Result rows evaluated per second on one thread against 1,000 rules and 100k keys (parse + every rule of the row's stream).</summary>
internal static class EvaluationBench
{
    private sealed class Limits(Dictionary<string, double> rows) : ILimitLookup
    {
        public bool TryGet(string table, string key, out double limit) => rows.TryGetValue(key, out limit);
    }

    public static void Run(int rules, int keys, int streams, int rows)
    {
        var random = new Random(42);
        var limits = new Limits(Enumerable.Range(0, keys).ToDictionary(Key, k => 10 + (k % 90) * 1.0));
        var byStream = new List<CompiledRule>[streams];
        for (var s = 0; s < streams; s++) byStream[s] = [];
        for (var i = 0; i < rules; i++)
        {
            var stream = "results-" + (i % streams);
            RuleDefinition d = (i % 4) switch
            {
                0 => new() { Name = $"r{i}", Stream = stream, Type = "threshold", Key = "CUSTOMER_ID", Where = [new() { Field = "TOTAL_DUE", Op = "gt", Value = (i % 50).ToString(CultureInfo.InvariantCulture) }] },
                1 => new() { Name = $"r{i}", Stream = stream, Type = "anomaly", Key = "CUSTOMER_ID", Limits = "limits", Threshold = 50 },
                2 => new() { Name = $"r{i}", Stream = stream, Type = "accumulate", Key = "CUSTOMER_ID", Sum = "TOTAL_DUE", Reset = "month", TimeField = "WINDOW_START", Limits = "limits", Threshold = 50 },
                _ => new() { Name = $"r{i}", Stream = stream, Type = "absence", Key = "CUSTOMER_ID", Count = "PASSAGES", Window = "30m", TimeField = "WINDOW_START", Limits = "limits", Threshold = 5 },
            };
            byStream[i % streams].Add(CompiledRule.Compile(d));
        }

        var compiled = byStream.Select((r, s) => new StreamRules("results-" + s, r)).ToArray();
        var views = compiled.Select(c => c.CreateView()).ToArray();
        var data = new byte[rows][];
        var start = new DateTime(2024, 5, 1, 8, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < rows; i++)
        {
            var window = start.AddMinutes(10 * random.Next(0, 144)).ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
            data[i] = Encoding.UTF8.GetBytes($$"""{"WINDOW_START":"{{window}}","CUSTOMER_ID":"{{Key(random.Next(keys))}}","PASSAGES":{{random.Next(1, 9)}},"TOTAL_DUE":{{random.Next(100, 5000) / 100.0}},"ANOMALY_SCORE":{{random.NextDouble() * 4:0.###}}}""");
        }

        var batch = new EvaluationBatch();
        void Pass(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var s = i % streams;
                compiled[s].Evaluate(views[s], data[i], 1_714_550_400_000, limits, batch);
                if (batch.Records >= 1000) batch.Clear(); // a consumer batch
            }

            batch.Clear();
        }

        Pass(Math.Min(rows, 20_000)); // warm-up (JIT)
        var watch = Stopwatch.StartNew();
        Pass(rows);
        watch.Stop();
        var perSecond = rows / watch.Elapsed.TotalSeconds;
        Console.WriteLine($"evaluation: {rules} rules on {streams} stream(s) ({rules / streams} per row), {keys:N0} keys: {rows:N0} rows in {watch.Elapsed.TotalMilliseconds:F0} ms = {perSecond:N0} rows/s ({perSecond * rules / streams:N0} rule evaluations/s), one thread");
    }

    private static string Key(int k) => "C-" + k.ToString("D6", CultureInfo.InvariantCulture);
}
