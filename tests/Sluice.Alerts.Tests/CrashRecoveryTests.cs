using System.Text.Json.Nodes;
using NUnit.Framework;
using static Sluice.Alerts.Tests.AlertsClient;

namespace Sluice.Alerts.Tests;

/// <summary>kill -9 of the service between an alert firing and its delivery neither loses nor duplicates the notification.</summary>
[TestFixture]
[NonParallelizable]
public sealed class CrashRecoveryTests
{
    [Test]
    public async Task Kill_9_between_firing_and_delivery_delivers_the_notification_exactly_once_after_restart()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-alerts-crash-" + Guid.NewGuid().ToString("N"));
        var hookPort = TestStorage.FreePort(); // nothing listens yet: the receiver is "down"
        var resources = Path.Combine(Path.GetTempPath(), $"sluice-alerts-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(resources, $"""
            # other services' sections are ignored by Alerts
            streams:
              - name: unrelated
            limits:
              monthly-limits:
                C-1: 10
                C-2: 50
            rules:
              - name: billing-over-limit
                stream: customer-billing-10m
                type: accumulate
                key: CUSTOMER_ID
                sum: TOTAL_DUE
                reset: month
                limits: monthly-limits
                groupBy: [CUSTOMER_ID]
                groupWait: 0s
                repeatInterval: 31d
                notify:
                  - type: webhook
                    url: http://127.0.0.1:{hookPort}/hook
            """);

        var host = await HostProcess.StartAsync(dataDir, "--resources", resources);
        try
        {
            using (var api = new AlertsClient(host.Endpoint))
            {
                await api.PutRowsAsync("customer-billing-10m", [
                    new { WINDOW_START = "2024-05-01 08:00:00.000", CUSTOMER_ID = "C-1", PASSAGES = 2, TOTAL_DUE = 7.5 },
                    new { WINDOW_START = "2024-05-01 08:10:00.000", CUSTOMER_ID = "C-1", PASSAGES = 2, TOTAL_DUE = 4.5 },
                    new { WINDOW_START = "2024-05-01 08:10:00.000", CUSTOMER_ID = "C-2", PASSAGES = 1, TOTAL_DUE = 2.0 },
                ], createShards: 1);
                await EventuallyAsync(async () =>
                    (await api.OkAsync(HttpMethod.Get, "notifications"))["notifications"]!.AsArray().Any(n => (string)n!["state"]! == "pending" && (int)n!["attempts"]! >= 1),
                    "a notification that failed to deliver");
            }

            host.KillHard();
            using var webhook = await BackgroundScript.StartAsync(ClientScripts.Python, "alerts_webhook.py", hookPort);
            host.Dispose();
            host = await HostProcess.StartAsync(dataDir, "--resources", resources);
            using var again = new AlertsClient(host.Endpoint);
            await EventuallyAsync(async () => webhook.Entries().Count >= 1, "the notification after the restart");
            await Task.Delay(2000); // a duplicate would show up here

            var calls = webhook.Entries();
            Assert.That(calls, Has.Count.EqualTo(1));
            var alerts = JsonNode.Parse((string)calls[0]["body"]!)!["alerts"]!.AsArray();
            Assert.That(alerts.Select(a => (string)a!["labels"]!["CUSTOMER_ID"]!), Is.EqualTo(new[] { "C-1" }));
            var log = (await again.OkAsync(HttpMethod.Get, "notifications"))["notifications"]!.AsArray();
            Assert.That(log, Has.Count.EqualTo(1));
            Assert.That((string)log[0]!["state"]!, Is.EqualTo("sent"));
            Assert.That((string)log[0]!["idempotencyKey"]!, Is.EqualTo((string)calls[0]["idempotencyKey"]!));

            // Records replayed after the crash (checkpoint behind) are not added twice.
            var totals = (await again.OkAsync(HttpMethod.Get, "rules/billing-over-limit/state"))["totals"]!.AsArray().ToDictionary(t => (string)t!["key"]!, t => (double)t!["total"]!);
            Assert.That(totals["C-1"], Is.EqualTo(12.0));
            Assert.That(totals["C-2"], Is.EqualTo(2.0));
        }
        finally
        {
            host.Dispose();
        }
    }
}
