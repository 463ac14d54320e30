using System.Diagnostics;
using System.Globalization;
using System.Text;
using Sluice.Alerts.Rules;

namespace Sluice.AlertsBench;

/// <summary>Result rows evaluated per second on one thread against 1,000 rules and 100k keys (parse + the rules of the row's stream).</summary>
internal static class EvaluationBench
{
    private sealed class Limits(Dictionary<string, double> rows) : ILimitLookup
    {
        public bool TryGet(string table, string key, out double limit) => rows.TryGetValue(key, out limit);
    }

    /// <summary>
    /// <paramref name="regions"/> &gt; 0 gives every rule a <c>REGION eq region-N</c> condition (N = rule % regions) and
    /// every row one of those regions, so the rules of a stream are partitioned by an equality; <paramref name="threshold"/>
    /// false leaves threshold rules out (a threshold rule's conditions are its alert condition, so every row resolves or
    /// fires it and no index may skip it).
    /// </summary>
    public static void Run(int rules, int keys, int streams, int rows, int regions = 0, bool threshold = true, int batchRecords = 1000)
    {
        var random = new Random(42);
        var limits = new Limits(Enumerable.Range(0, keys).ToDictionary(Key, k => 10 + (k % 90) * 1.0));
        var byStream = new List<CompiledRule>[streams];
        for (var s = 0; s < streams; s++) byStream[s] = [];
        var kinds = threshold ? 4 : 3;
        for (var i = 0; i < rules; i++)
        {
            var stream = "results-" + (i % streams);
            List<ConditionDefinition> where = regions > 0 ? [new() { Field = "REGION", Op = "eq", Value = Region(i % regions) }] : [];
            RuleDefinition d = ((i % kinds) + (threshold ? 0 : 1)) switch
            {
                0 => new() { Name = $"r{i}", Stream = stream, Type = "threshold", Key = "CUSTOMER_ID", Where = [.. where, new() { Field = "TOTAL_DUE", Op = "gt", Value = (i % 50).ToString(CultureInfo.InvariantCulture) }] },
                1 => new() { Name = $"r{i}", Stream = stream, Type = "anomaly", Key = "CUSTOMER_ID", Limits = "limits", Threshold = 50, Where = where },
                2 => new() { Name = $"r{i}", Stream = stream, Type = "accumulate", Key = "CUSTOMER_ID", Sum = "TOTAL_DUE", Reset = "month", TimeField = "WINDOW_START", Limits = "limits", Threshold = 50, Where = where },
                _ => new() { Name = $"r{i}", Stream = stream, Type = "absence", Key = "CUSTOMER_ID", Count = "PASSAGES", Window = "30m", TimeField = "WINDOW_START", Limits = "limits", Threshold = 5, Where = where },
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
            var region = Region(random.Next(Math.Max(regions, 1)));
            data[i] = Encoding.UTF8.GetBytes($$"""{"WINDOW_START":"{{window}}","CUSTOMER_ID":"{{Key(random.Next(keys))}}","REGION":"{{region}}","PASSAGES":{{random.Next(1, 9)}},"TOTAL_DUE":{{random.Next(100, 5000) / 100.0}},"ANOMALY_SCORE":{{random.NextDouble() * 4:0.###}}}""");
        }

        var batch = new EvaluationBatch();
        long outcomes = 0;
        void Pass(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var s = i % streams;
                compiled[s].Evaluate(views[s], data[i], 1_714_550_400_000, limits, batch);
                if (batch.Records >= batchRecords)
                {
                    // A consumer batch: what the store would apply.
                    outcomes += batch.Signals.Count + batch.Totals.Count + batch.Windows.Count;
                    batch.Clear();
                }
            }

            batch.Clear();
        }

        Pass(Math.Min(rows, 20_000)); // warm-up (JIT)
        outcomes = 0;
        var watch = Stopwatch.StartNew();
        Pass(rows);
        watch.Stop();
        var perSecond = rows / watch.Elapsed.TotalSeconds;
        var shape = regions > 0 ? $", partitioned by REGION eq (1 of {regions})" : "";
        var types = (threshold ? "" : ", no threshold rules") + (batchRecords == 1000 ? "" : $", batches of {batchRecords} records");
        Console.WriteLine($"evaluation: {rules} rules on {streams} stream(s) ({rules / streams} per row{shape}{types}), {keys:N0} keys: {rows:N0} rows in {watch.Elapsed.TotalMilliseconds:F0} ms = {perSecond:N0} rows/s ({perSecond * rules / streams:N0} rules/s), {outcomes / (double)rows:F1} outcomes per row, one thread");
    }

    /// <summary>The floor under every case: reading the rows' fields into a <see cref="RecordView"/>, no rule visited.</summary>
    public static void ParseOnly(int keys, int rows)
    {
        var rule = CompiledRule.Compile(new RuleDefinition { Name = "r", Stream = "s", Type = "accumulate", Key = "CUSTOMER_ID", Sum = "TOTAL_DUE", Reset = "month", TimeField = "WINDOW_START", Threshold = 1, Where = [new() { Field = "REGION", Op = "eq", Value = "x" }, new() { Field = "PASSAGES", Op = "gt", Value = "0" }, new() { Field = "ANOMALY_SCORE", Op = "gt", Value = "0" }] });
        var view = new StreamRules("s", [rule]).CreateView();
        var random = new Random(42);
        var data = new byte[rows][];
        for (var i = 0; i < rows; i++)
        {
            data[i] = Encoding.UTF8.GetBytes($$"""{"WINDOW_START":"2024-05-01 08:{{random.Next(10, 60)}}:00.000","CUSTOMER_ID":"{{Key(random.Next(keys))}}","REGION":"{{Region(random.Next(100))}}","PASSAGES":{{random.Next(1, 9)}},"TOTAL_DUE":{{random.Next(100, 5000) / 100.0}},"ANOMALY_SCORE":{{random.NextDouble() * 4:0.###}}}""");
        }

        var read = 0;
        for (var i = 0; i < Math.Min(rows, 20_000); i++) read += view.Read(data[i]) ? 1 : 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < rows; i++) read += view.Read(data[i]) ? 1 : 0;
        watch.Stop();
        Console.WriteLine($"parse only (RecordView, 6 fields): {rows:N0} rows in {watch.Elapsed.TotalMilliseconds:F0} ms = {rows / watch.Elapsed.TotalSeconds:N0} rows/s ({read:N0} read), one thread");
    }

    private static string Key(int k) => "C-" + k.ToString("D6", CultureInfo.InvariantCulture);

    private static string Region(int r) => "region-" + r.ToString(CultureInfo.InvariantCulture);
}
