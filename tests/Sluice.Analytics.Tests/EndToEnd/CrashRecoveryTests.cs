using System.Text.Json;
using NUnit.Framework;
using Sluice.Analytics.Tests.Sql;

namespace Sluice.Analytics.Tests.EndToEnd;

/// <summary>A `sluice up` process killed with SIGKILL mid-run: on restart the application resumes from its checkpoint without losing or repeating output rows.</summary>
[NonParallelizable]
public sealed class CrashRecoveryTests
{
    private static IEnumerable<string> Heavy(int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            yield return KdaHarness.Toll("C-" + i, "B0" + (i % 3), $"p{i:00000}", "TRUCK", 3 + (i % 2), 5m, "2024-05-01 08:00:00.000");
        }
    }

    [Test]
    public async Task Kill_9_mid_run_neither_loses_nor_duplicates_output_rows()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-kda-crash-" + Guid.NewGuid().ToString("N"));
        var host = await HostProcess.StartAsync(dataDir);
        try
        {
            using (var kda = new KdaHarness(host.Endpoint))
            {
                await kda.CreateStreamAsync("crash-in");
                await kda.CreateStreamAsync("crash-out");
                await kda.CreateApplicationAsync(KdaHarness.Spec("crash", ExampleApplicationsTests.HeavyVehicles, KdaHarness.TollInput("crash-in"),
                    KdaHarness.StreamOutput("HEAVY_VEHICLES", "crash-out")));
                await kda.Boto3Async("start", "crash", "TRIM_HORIZON");
                await kda.PutAsync("crash-in", Heavy(0, 3000));

                // Kill as soon as output starts to appear: rows are written but the next checkpoint is not taken yet.
                for (var i = 0; i < 600 && (await kda.ReadAllAsync("crash-out")).Count == 0; i++) await Task.Delay(50);
                host.KillHard();
            }

            host.Dispose();
            host = await HostProcess.StartAsync(dataDir);
            using (var kda = new KdaHarness(host.Endpoint))
            {
                await kda.PutAsync("crash-in", Heavy(3000, 2000));
                var output = await kda.WaitForOutputAsync("crash-out", 5000, TimeSpan.FromSeconds(120));
                var plates = output.Select(o => JsonDocument.Parse(o).RootElement.GetProperty("PLATE").GetString()).ToList();
                Assert.That(plates, Has.Count.EqualTo(5000), "each input row exactly once");
                Assert.That(plates.Distinct().Count(), Is.EqualTo(5000));
                Assert.That(plates.Order(StringComparer.Ordinal), Is.EqualTo(Enumerable.Range(0, 5000).Select(i => $"P{i:00000}")));
            }
        }
        finally
        {
            host.KillHard();
            host.Dispose();
        }
    }
}
