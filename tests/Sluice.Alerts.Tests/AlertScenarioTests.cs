using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Sluice.EventBus;
using static Sluice.Alerts.Tests.AlertsClient;

namespace Sluice.Alerts.Tests;

/// <summary>The seeds' three scenarios end to end: result rows (as the analytics apps emit them) → Sluice stream → rules → notifiers.</summary>
[TestFixture]
[NonParallelizable]
public sealed class AlertScenarioTests
{
    private static List<JsonObject> Alerts(JsonObject webhookEntry) =>
        [.. JsonNode.Parse((string)webhookEntry["body"]!)!["alerts"]!.AsArray().Select(a => a!.AsObject())];

    private static IEnumerable<(string Status, string Key)> Notified(BackgroundScript webhook, string keyLabel) =>
        webhook.Entries().SelectMany(Alerts).Select(a => ((string)a["status"]!, (string?)a["labels"]![keyLabel] ?? ""));

    [TestCase(TestStorage.Sqlite)]
    [TestCase(TestStorage.Postgres)]
    public async Task Customer_over_the_monthly_limit_gets_exactly_one_notification_by_webhook_and_email_and_one_under_it_none(string storage)
    {
        using var webhook = await BackgroundScript.StartAsync(ClientScripts.Python, "alerts_webhook.py");
        using var smtp = await BackgroundScript.StartAsync(ClientScripts.SmtpPython, "alerts_smtp.py");
        var settings = await TestStorage.CreateAsync(storage);
        settings.Smtp = $"127.0.0.1:{smtp.Port}";
        await using var server = await TestServer.StartAsync(settings);
        using var api = new AlertsClient(server.Endpoint);

        await api.PutLimitsCsvAsync("monthly-limits", "customer_id,limit\nC-1001,20\nC-2002,100\n");
        await api.PutRuleAsync(SeedRules.Billing("customer-billing-10m", new { type = "webhook", url = webhook.Url + "/billing", secret = "s3cret" }, new { type = "email", to = new[] { "billing@example.com" }, from = "alerts@sluice.local" }));

        // Rows exactly as the billing app (CUSTOMER_BILLING_10M) writes them, one per customer per 10 minutes.
        var month = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(month.Year, month.Month, 1, 8, 0, 0, TimeSpan.Zero);
        object Row(int window, string customer, int passages, double due) =>
            new { WINDOW_START = KdaTime(start.AddMinutes(10 * window)), CUSTOMER_ID = customer, PASSAGES = passages, TOTAL_DUE = due };
        await api.PutRowsAsync("customer-billing-10m", [Row(0, "C-1001", 3, 8.25), Row(0, "C-2002", 2, 5.5), Row(1, "C-1001", 3, 7.5), Row(1, "C-2002", 1, 2.75)], createShards: 2);
        await api.PutRowsAsync("customer-billing-10m", [Row(2, "C-1001", 3, 9.0), Row(3, "C-1001", 1, 3.0), Row(3, "C-2002", 4, 11.0)]);

        await EventuallyAsync(async () => webhook.Entries().Count >= 1 && smtp.Entries().Count >= 1, "the webhook call and the e-mail");
        await EventuallyAsync(async () => (await api.OkAsync(HttpMethod.Get, "rules/billing-over-limit/state"))["totals"]!.AsArray().Count == 2, "both customers' totals");
        await Task.Delay(1500); // time for a duplicate to show up if there were one

        var calls = webhook.Entries();
        Assert.That(calls, Has.Count.EqualTo(1), "one webhook call for the period");
        var alerts = Alerts(calls[0]);
        Assert.That(alerts.Select(a => (string)a["labels"]!["CUSTOMER_ID"]!), Is.EqualTo(new[] { "C-1001" }));
        Assert.That((string)alerts[0]["status"]!, Is.EqualTo("firing"));
        Assert.That((string)alerts[0]["labels"]!["period"]!, Is.EqualTo(month.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(calls[0]["idempotencyKey"]!.ToString(), Has.Length.EqualTo(32));
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("s3cret"u8, Encoding.UTF8.GetBytes((string)calls[0]["body"]!)));
        Assert.That((string?)calls[0]["signature"], Is.EqualTo(signature));

        var mails = smtp.Entries();
        Assert.That(mails, Has.Count.EqualTo(1), "one e-mail for the period");
        Assert.That(mails[0]["to"]!.AsArray().Select(t => (string)t!), Is.EqualTo(new[] { "billing@example.com" }));
        Assert.That((string)mails[0]["subject"]!, Does.Contain("FIRING"));
        Assert.That((string)mails[0]["body"]!, Does.Contain("C-1001").And.Not.Contain("C-2002"));
        Assert.That((string?)mails[0]["idempotencyKey"], Is.Not.Null.And.Not.EqualTo((string?)calls[0]["idempotencyKey"]));

        var totals = (await api.OkAsync(HttpMethod.Get, "rules/billing-over-limit/state"))["totals"]!.AsArray().ToDictionary(t => (string)t!["key"]!, t => (double)t!["total"]!);
        Assert.That(totals["C-1001"], Is.EqualTo(27.75).Within(1e-9));
        Assert.That(totals["C-2002"], Is.EqualTo(19.25).Within(1e-9));
        var firing = await api.AlertsAsync("firing");
        Assert.That(firing.Select(a => (string)a["labels"]!["CUSTOMER_ID"]!), Is.EqualTo(new[] { "C-1001" }));
        var log = (await api.OkAsync(HttpMethod.Get, "notifications"))["notifications"]!.AsArray();
        Assert.That(log.Select(n => ((string)n!["notifier"]!, (string)n!["state"]!)), Is.EquivalentTo(new[] { ("webhook", "sent"), ("email", "sent") }));
    }

    [Test]
    public async Task Booth_below_its_threshold_or_silent_for_a_window_fires_and_resolves_when_traffic_returns()
    {
        using var webhook = await BackgroundScript.StartAsync(ClientScripts.Python, "alerts_webhook.py");
        var clock = new ShiftedClock();
        await using var server = await TestServer.StartAsync(await TestStorage.CreateAsync(TestStorage.Sqlite), s => s.AddSingleton<TimeProvider>(clock));
        using var api = new AlertsClient(server.Endpoint);

        await api.OkAsync(HttpMethod.Put, "limits/booth-thresholds", """{"limits": {"B01": 10, "B07": 10, "B09": 5}}""");
        await api.PutRuleAsync(SeedRules.BoothLowTraffic("booth-volume-30m", null, new { type = "webhook", url = webhook.Url + "/ops" }));

        var now = clock.GetUtcNow();
        var w0 = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute >= 30 ? 30 : 0, 0, TimeSpan.Zero);
        await api.PutRowsAsync("booth-volume-30m", [new { BOOTH_ID = "B01", WINDOW_START = KdaTime(w0), VEHICLES = 25 }, new { BOOTH_ID = "B07", WINDOW_START = KdaTime(w0), VEHICLES = 3 }], createShards: 1);
        await EventuallyAsync(async () => (await api.OkAsync(HttpMethod.Get, "rules/booth-low-traffic/state"))["windows"]!.AsArray().Count == 2, "the window counts of B01 and B07");
        Assert.That(webhook.Entries(), Is.Empty, "nothing fires before the window closes");

        clock.AdvanceTo(w0.AddMinutes(30).AddSeconds(1));
        await EventuallyAsync(async () => Notified(webhook, "BOOTH_ID").Count(n => n.Status == "firing") >= 2, "B07 (3 < 10) and B09 (no vehicles at all) firing");
        Assert.That(Notified(webhook, "BOOTH_ID").Where(n => n.Status == "firing").Select(n => n.Key).Order(), Is.EqualTo(new[] { "B07", "B09" }));
        var firing = await api.AlertsAsync("firing");
        Assert.That(firing.Select(a => (string)a["labels"]!["BOOTH_ID"]!).Order(), Is.EqualTo(new[] { "B07", "B09" }));
        Assert.That((string)firing.First(a => (string)a["labels"]!["BOOTH_ID"]! == "B09")["annotations"]!["count"]!, Is.EqualTo("0"));

        // Traffic returns in the next window: both resolve.
        var w1 = w0.AddMinutes(30);
        await api.PutRowsAsync("booth-volume-30m", [new { BOOTH_ID = "B01", WINDOW_START = KdaTime(w1), VEHICLES = 30 }, new { BOOTH_ID = "B07", WINDOW_START = KdaTime(w1), VEHICLES = 12 }, new { BOOTH_ID = "B09", WINDOW_START = KdaTime(w1), VEHICLES = 6 }]);
        await EventuallyAsync(async () => (await api.OkAsync(HttpMethod.Get, "rules/booth-low-traffic/state"))["windows"]!.AsArray().Count == 5, "the next window's counts");
        clock.AdvanceTo(w1.AddMinutes(30).AddSeconds(1));
        await EventuallyAsync(async () => Notified(webhook, "BOOTH_ID").Count(n => n.Status == "resolved") >= 2, "B07 and B09 resolved");
        Assert.That(Notified(webhook, "BOOTH_ID").Where(n => n.Status == "resolved").Select(n => n.Key).Order(), Is.EqualTo(new[] { "B07", "B09" }));
        Assert.That(await api.AlertsAsync("firing"), Is.Empty);
        Assert.That(Notified(webhook, "BOOTH_ID").Any(n => n.Key == "B01"), Is.False, "B01 stayed above its threshold");
    }

    [Test]
    public async Task Temperature_anomaly_over_threshold_fires_on_webhook_and_event_bus_and_silences_suppress()
    {
        using var webhook = await BackgroundScript.StartAsync(ClientScripts.Python, "alerts_webhook.py");
        await using var server = await TestServer.StartAsync(await TestStorage.CreateAsync(TestStorage.Sqlite));
        using var api = new AlertsClient(server.Endpoint);
        var events = new List<string>();
        using var subscription = server.Services.GetRequiredService<IEventBus>().Subscribe("sluice.alerts", (json, _) =>
        {
            lock (events) events.Add(Encoding.UTF8.GetString(json.Span));
            return Task.CompletedTask;
        });

        await api.OkAsync(HttpMethod.Post, "silences", """{"matchers": [{"name": "SENSOR_ID", "value": "S-9"}], "endsAt": "2099-01-01T00:00:00Z", "createdBy": "ops", "comment": "sensor under maintenance"}""");
        await api.PutRuleAsync(SeedRules.TemperatureAnomaly("sensor-anomalies", 3.0, new { type = "webhook", url = webhook.Url + "/fleet" }, new { type = "eventbus" }));
        await api.PutRowsAsync("sensor-anomalies", [
            new { SENSOR_ID = "S-1", TEMP_C = 4.1, ANOMALY_SCORE = 0.8 },
            new { SENSOR_ID = "S-2", TEMP_C = 19.7, ANOMALY_SCORE = 4.2 },
            new { SENSOR_ID = "S-9", TEMP_C = 25.0, ANOMALY_SCORE = 6.0 },
        ], createShards: 1);

        await EventuallyAsync(async () => webhook.Entries().Count >= 1 && events.Count >= 1, "the anomaly notification");
        await EventuallyAsync(async () => (await api.AlertsAsync("firing")).Count == 2, "S-2 and S-9 firing");
        await Task.Delay(1000);
        Assert.That(Notified(webhook, "SENSOR_ID").Select(n => n.Key), Is.EqualTo(new[] { "S-2" }), "S-1 is normal and S-9 is silenced");
        var alerts = await api.AlertsAsync("firing");
        var silenced = alerts.Single(a => (string)a["labels"]!["SENSOR_ID"]! == "S-9");
        Assert.That(silenced["silencedBy"]!.AsArray(), Has.Count.EqualTo(1));
        Assert.That((string)alerts.Single(a => (string)a["labels"]!["SENSOR_ID"]! == "S-2")["labels"]!["severity"]!, Is.EqualTo("warning"));
        lock (events)
        {
            Assert.That(events, Has.Count.EqualTo(1));
            var evt = JsonNode.Parse(events[0])!;
            Assert.That((string)evt["notification"]!["alerts"]![0]!["labels"]!["SENSOR_ID"]!, Is.EqualTo("S-2"));
            Assert.That((string?)evt["idempotencyKey"], Is.Not.Null);
        }
    }

    [Test]
    public async Task Repeat_interval_renotifies_a_firing_alert_until_it_is_acknowledged_and_history_shows_it_all()
    {
        using var webhook = await BackgroundScript.StartAsync(ClientScripts.Python, "alerts_webhook.py");
        var clock = new ShiftedClock();
        await using var server = await TestServer.StartAsync(await TestStorage.CreateAsync(TestStorage.Sqlite), s => s.AddSingleton<TimeProvider>(clock));
        using var api = new AlertsClient(server.Endpoint);
        await api.PutRuleAsync(new
        {
            name = "freezer-too-warm",
            stream = "sensor-readings",
            type = "threshold",
            key = "SENSOR_ID",
            where = new object[] { new { field = "TEMP_C", op = "gt", value = "-10" }, new { field = "KIND", op = "eq", value = "freezer" } },
            groupWait = "0s",
            groupInterval = "1s",
            repeatInterval = "1h",
            notify = new object[] { new { type = "slack", url = webhook.Url + "/slack" } },
        });
        await api.PutRowsAsync("sensor-readings", [new { SENSOR_ID = "F-1", KIND = "freezer", TEMP_C = -2.5 }, new { SENSOR_ID = "F-2", KIND = "freezer", TEMP_C = -18.0 }], createShards: 1);
        await EventuallyAsync(async () => webhook.Entries().Count == 1, "the first notification");
        var slack = JsonNode.Parse((string)webhook.Entries()[0]["body"]!)!;
        Assert.That((string)slack["text"]!, Does.Contain("FIRING:1").And.Contain("SENSOR_ID=F-1").And.Not.Contain("F-2"));

        clock.Advance(TimeSpan.FromMinutes(61));
        await EventuallyAsync(async () => webhook.Entries().Count == 2, "the repeat after the repeat interval");
        var keys = webhook.Entries().Select(e => (string)e["idempotencyKey"]!).ToList();
        Assert.That(keys.Distinct().Count(), Is.EqualTo(2), "a repeat is a new notification with its own key");

        var fingerprint = (string)(await api.AlertsAsync("firing")).Single()["fingerprint"]!;
        await api.OkAsync(HttpMethod.Post, $"alerts/{fingerprint}/ack", """{"by": "oncall", "comment": "on my way"}""");
        clock.Advance(TimeSpan.FromMinutes(61));
        await Task.Delay(1500);
        Assert.That(webhook.Entries(), Has.Count.EqualTo(2), "an acknowledged alert is not repeated");

        // Back to normal: the resolution is still notified.
        await api.PutRowsAsync("sensor-readings", [new { SENSOR_ID = "F-1", KIND = "freezer", TEMP_C = -19.0 }]);
        clock.Advance(TimeSpan.FromSeconds(2));
        await EventuallyAsync(async () => webhook.Entries().Count == 3, "the resolved notification");
        Assert.That((string)JsonNode.Parse((string)webhook.Entries()[2]["body"]!)!["text"]!, Does.Contain("RESOLVED"));
        var history = (await api.OkAsync(HttpMethod.Get, $"alerts/{fingerprint}/history"))["history"]!.AsArray().Select(h => (string)h!["event"]!).Reverse().ToList();
        Assert.That(history, Is.EqualTo(new[] { "firing", "notified", "notified", "acknowledged", "resolved", "notified" }));
    }
}
