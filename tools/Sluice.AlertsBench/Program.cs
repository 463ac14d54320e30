using Sluice.AlertsBench;

// Alerts speed: rule evaluation throughput (one thread) and end-to-end latency from a committed result record to the webhook.
// usage: dotnet run -c Release --project tools/Sluice.AlertsBench [-- eval|one|profile|latency]
var what = args.Length > 0 ? args[0] : "all";
if (what is "all" or "eval")
{
    EvaluationBench.Run(rules: 1000, keys: 100_000, streams: 100, rows: 1_000_000);
    EvaluationBench.Run(rules: 1000, keys: 100_000, streams: 10, rows: 500_000);
}

if (what is "all" or "eval" or "one")
{
    // All 1,000 rules on one stream: unpartitioned (every rule applies to every row), then partitioned by an equality.
    var scale = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1;
    EvaluationBench.Run(rules: 1000, keys: 100_000, streams: 1, rows: 50_000 * scale);
    EvaluationBench.Run(rules: 1000, keys: 100_000, streams: 1, rows: 100_000 * scale, regions: 100);
    EvaluationBench.Run(rules: 1000, keys: 100_000, streams: 1, rows: 100_000 * scale, regions: 100, threshold: false);
}

if (what is "profile")
{
    // Where the unpartitioned case's time goes: parsing, and outcome writes into smaller (cache-resident) batches.
    EvaluationBench.ParseOnly(keys: 100_000, rows: 1_000_000);
    EvaluationBench.Run(rules: 1000, keys: 100_000, streams: 1, rows: 50_000, batchRecords: 10);
    EvaluationBench.Run(rules: 1000, keys: 100_000, streams: 1, rows: 50_000, batchRecords: 1000);
}

if (what is "all" or "latency") await LatencyBench.RunAsync(count: 300);
return 0;
