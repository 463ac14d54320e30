using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Sluice.Alerts.Alerting;
using Sluice.Hosting;
using Sluice.Streams.Client;
using static Sluice.Alerts.Tests.AlertsClient;

namespace Sluice.Alerts.Tests;

/// <summary>Two replicas over one PostgreSQL share the shards and still notify each crossing exactly once.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ReplicaTests
{
    [Test]
    public async Task Two_replicas_share_the_streams_shards_and_notify_each_customer_over_the_limit_exactly_once()
    {
        using var webhook = await BackgroundScript.StartAsync(ClientScripts.Python, "alerts_webhook.py");
        var first = await TestStorage.CreateAsync(TestStorage.Postgres);
        var second = new SluiceSettings { DataDir = first.DataDir + "-b", Storage = StorageKind.Postgres, Postgres = first.Postgres };
        await using var a = await TestServer.StartAsync(first);
        await using var b = await TestServer.StartAsync(second);
        using var api = new AlertsClient(a.Endpoint);
        using var apiB = new AlertsClient(b.Endpoint);

        await api.PutRowsAsync("billing", [], createShards: 4);
        await api.PutRuleAsync(new
        {
            name = "over-limit",
            stream = "billing",
            type = "accumulate",
            key = "CUSTOMER_ID",
            sum = "TOTAL_DUE",
            reset = "month",
            threshold = 10,
            groupBy = new[] { "CUSTOMER_ID" },
            groupWait = "0s",
            repeatInterval = "31d",
            notify = new[] { new { type = "webhook", url = webhook.Url } },
        });

        // The other replica learns the rule from the database within its refresh interval, then takes its share.
        await EventuallyAsync(async () => (await apiB.SendAsync(HttpMethod.Get, "rules/over-limit")).Status == 200, "replica B knowing the rule");
        using var streams = new StreamsClient(a.GrpcEndpoint!);
        await EventuallyAsync(async () =>
        {
            var leases = await streams.ListLeasesAsync("billing", AlertsWorker.ConsumerGroup);
            return leases.Leases.Count == 4 && leases.Leases.All(l => l.Owner.Length > 0) && leases.Leases.Select(l => l.Owner).Distinct().Count() == 2;
        }, "both replicas holding some of the 4 shards", seconds: 60);

        var rows = new List<object>();
        for (var c = 0; c < 40; c++)
        {
            var due = c < 20 ? 6.0 : 4.0; // two rows each: 12 (over 10) or 8 (under)
            rows.Add(new { CUSTOMER_ID = $"C-{c:D3}", TOTAL_DUE = due });
            rows.Add(new { CUSTOMER_ID = $"C-{c:D3}", TOTAL_DUE = due });
        }

        await api.PutRowsAsync("billing", rows);
        IEnumerable<string> Notified() => webhook.Entries().SelectMany(e => JsonNode.Parse((string)e["body"]!)!["alerts"]!.AsArray()).Select(x => (string)x!["labels"]!["CUSTOMER_ID"]!);
        await EventuallyAsync(async () => Notified().Distinct().Count() >= 20, "all 20 customers over the limit notified", seconds: 60);
        await Task.Delay(2000);
        Assert.That(Notified().Order(), Is.EqualTo(Enumerable.Range(0, 20).Select(c => $"C-{c:D3}")), "each exactly once, none under the limit");
        var totals = (await apiB.OkAsync(HttpMethod.Get, "rules/over-limit/state"))["totals"]!.AsArray();
        Assert.That(totals, Has.Count.EqualTo(40));
        Assert.That(totals.Sum(t => (double)t!["total"]!), Is.EqualTo((20 * 12.0) + (20 * 8.0)));
    }
}
