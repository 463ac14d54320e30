using System.Globalization;
using System.Text.Json;

namespace Sluice.LoadGen.Report;

/// <summary>Writes a run's report to stdout: a short human summary, or one JSON line with --json.</summary>
internal static class ReportPrinter
{
    public static void Print(RunReport report, bool json)
    {
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(report, ReportJsonContext.Default.RunReport));
            return;
        }

        var c = CultureInfo.InvariantCulture;
        var l = report.LatencyMs;
        string shape = report.Operation == "PutRecord" ? "PutRecord" : string.Create(c, $"PutRecords × {report.Batch}");
        Console.Out.WriteLine(string.Create(c,
            $"{shape}, {report.RecordSize} B records, {report.Concurrency} in flight → {report.Endpoint} stream {report.Stream} ({report.Shards} shards)"));
        Console.Out.WriteLine(string.Create(c,
            $"  records     {report.RecordsAcknowledged} acknowledged in {report.ElapsedSeconds:0.00} s ({report.RecordsNotAcknowledged} not acknowledged)"));
        Console.Out.WriteLine(string.Create(c, $"  throughput  {report.RecordsPerSecond:0} records/s, {report.MegabytesPerSecond:0.00} MB/s of data"));
        Console.Out.WriteLine(string.Create(c,
            $"  requests    {report.Requests}, latency ms p50 {l.P50:0.00}, p90 {l.P90:0.00}, p99 {l.P99:0.00}, max {l.Max:0.00}"));
        Console.Out.WriteLine(string.Create(c, $"  failures    {report.FailedRecords} failed records, {report.Retries} retries"));
        Console.Out.WriteLine($"  errors      {Describe(report.RequestErrors)} (requests); {Describe(report.RecordErrors)} (records)");
        Console.Out.WriteLine(string.Create(c,
            $"  client CPU  {report.ClientCpuCores:0.00} cores of {report.MachineCores} ({report.ClientCpuCores / report.MachineCores:0%})"));
        if (report.StoppedEarly is not null)
        {
            Console.Out.WriteLine($"  stopped     {report.StoppedEarly}");
        }

        if (report.Verification is { } v)
        {
            Console.Out.WriteLine(string.Create(c,
                $"  verify      {(v.Passed ? "PASS" : "FAIL")}: {v.Summary} ({v.RecordsRead} read from {v.Shards} shards in {v.ElapsedSeconds:0.00} s)"));
        }
    }

    private static string Describe(IReadOnlyDictionary<string, long> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.OrderByDescending(e => e.Value).Select(e => $"{e.Key} ×{e.Value}"));
}
