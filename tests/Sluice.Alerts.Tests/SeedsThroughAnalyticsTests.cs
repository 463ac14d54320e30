using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NUnit.Framework;
using Sluice.Analytics.Applications;
using static Sluice.Alerts.Tests.AlertsClient;

namespace Sluice.Alerts.Tests;

/// <summary>
/// The seeds' three requirements through every real part: boto3 puts toll passages and sensor readings into Sluice
/// streams; the reference's KDA SQL applications (§10.1, §10.2, §10.4), created and started through boto3's
/// kinesisanalytics client, write their results to output streams; Alerts rules read those streams and notify a
/// webhook receiver and a real SMTP server. The clock starts at 08:00 on the first day of next month (so windows and
/// the billing period are fixed) and jumps to close windows; it never moves back.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SeedsThroughAnalyticsTests
{
    /// <summary>Midnight UTC starting the first day of next month.</summary>
    private static readonly DateTimeOffset Day = FirstOfNextMonth();

    private ShiftedClock _clock = null!;

    private static DateTimeOffset FirstOfNextMonth()
    {
        var now = DateTimeOffset.UtcNow;
        return new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
    }

    private static DateTimeOffset At(string time) => Day + TimeSpan.Parse(time, CultureInfo.InvariantCulture);

    private static List<JsonObject> Alerts(JsonObject webhookEntry) =>
        [.. JsonNode.Parse((string)webhookEntry["body"]!)!["alerts"]!.AsArray().Select(a => a!.AsObject())];

    private static List<(string Status, string Key)> Notified(BackgroundScript webhook, string keyLabel) =>
        [.. webhook.Entries().SelectMany(Alerts).Select(a => ((string)a["status"]!, (string?)a["labels"]![keyLabel] ?? ""))];

    private async Task<TestServer> StartAsync(Action<Sluice.Hosting.SluiceSettings>? configure = null)
    {
        _clock = new ShiftedClock();
        _clock.AdvanceTo(At("08:00"));
        var settings = await TestStorage.CreateAsync(TestStorage.Sqlite);
        configure?.Invoke(settings);
        return await TestServer.StartAsync(settings, s => s.AddSingleton<TimeProvider>(_clock));
    }

    /// <summary>Waits until the application has read <paramref name="records"/> input records, so moving the clock cannot overtake them.</summary>
    private static Task ReadByAppAsync(TestServer server, string app, long records) =>
        EventuallyAsync(() =>
        {
            var runner = server.Services.GetServices<IHostedService>().OfType<ApplicationRunner>().Single();
            return Task.FromResult(runner.RunOf(app)?.RecordsIn >= records);
        }, $"{app} to read {records} records");

    private static async Task<JsonArray> StateAsync(AlertsClient api, string rule, string part) =>
        (await api.OkAsync(HttpMethod.Get, $"rules/{rule}/state"))[part]!.AsArray();

    private static async Task<double> TotalAsync(AlertsClient api, string rule, string key) =>
        (await StateAsync(api, rule, "totals")).Where(t => (string)t!["key"]! == key).Select(t => (double)t!["total"]!).SingleOrDefault();

    [Test]
    public async Task Billing_app_totals_push_one_customer_past_the_monthly_limit_and_only_that_customer_is_notified_once_by_webhook_and_email()
    {
        using var webhook = await BackgroundScript.StartAsync(ClientScripts.Python, "alerts_webhook.py");
        using var smtp = await BackgroundScript.StartAsync(ClientScripts.SmtpPython, "alerts_smtp.py");
        await using var server = await StartAsync(s => s.Smtp = $"127.0.0.1:{smtp.Port}");
        using var kda = new KdaHarness(server.Endpoint);
        using var api = new AlertsClient(server.Endpoint);

        await kda.CreateStreamAsync("toll-passages");
        await kda.CreateStreamAsync("customer-billing-10m");
        await kda.CreateApplicationAsync(KdaHarness.Spec("billing", KdaExamples.TollBilling, KdaHarness.TollInput("toll-passages"),
            KdaHarness.StreamOutput("CUSTOMER_BILLING_10M", "customer-billing-10m")));
        await kda.Boto3Async("start", "billing", "NOW");

        await api.PutLimitsCsvAsync("monthly-limits", "customer_id,limit\nC-1001,20\nC-2002,100\n");
        await api.PutRuleAsync(SeedRules.Billing("customer-billing-10m", new { type = "webhook", url = webhook.Url + "/billing" }, new { type = "email", to = new[] { "billing@example.com" }, from = "alerts@sluice.local" }));

        // Four 10-minute windows of passages; C-1001's month passes 20.00 in the third, C-2002 stays under 100.
        (string Customer, decimal Amount, int Passages)[][] windows =
        [
            [("C-1001", 2.75m, 3), ("C-2002", 2.75m, 2)],
            [("C-1001", 2.50m, 3), ("C-2002", 2.75m, 1)],
            [("C-1001", 3.00m, 3), ("C-2002", 2.75m, 4)],
            [("C-1001", 3.00m, 1)],
        ];
        double[] expectedC1001 = [8.25, 15.75, 24.75, 27.75];
        var read = 0;
        for (var w = 0; w < windows.Length; w++)
        {
            var passages = windows[w].SelectMany(c => Enumerable.Range(0, c.Passages).Select(i =>
                KdaHarness.Toll(c.Customer, "B0" + (i + 1), "PL-" + c.Customer, "CAR", 2, c.Amount, AlertsClient.KdaTime(At("08:00").AddMinutes(10 * w))))).ToList();
            await kda.PutAsync("toll-passages", passages);
            read += passages.Count;
            await ReadByAppAsync(server, "billing", read);

            // Time passes the window's end: the app emits the window's totals, the rule adds them to the month.
            _clock.AdvanceTo(At("08:10:02").AddMinutes(10 * w));
            var expected = expectedC1001[w];
            await EventuallyAsync(async () => Math.Abs(await TotalAsync(api, "billing-over-limit", "C-1001") - expected) < 1e-9, $"C-1001's running total {expected} after window {w}");
            if (w == 1) Assert.That(webhook.Entries(), Is.Empty, "15.75 is still under C-1001's limit of 20");
        }

        await EventuallyAsync(async () => webhook.Entries().Count >= 1 && smtp.Entries().Count >= 1, "the webhook call and the e-mail");
        await Task.Delay(1500); // time for a duplicate to show up if there were one

        var billing = (await kda.ReadAllAsync("customer-billing-10m")).Select(r => JsonNode.Parse(r.Data)!).ToList();
        Assert.That(billing.Select(b => ((string)b["WINDOW_START"]!, (string)b["CUSTOMER_ID"]!, (long)b["PASSAGES"]!, (decimal)b["TOTAL_DUE"]!)).Order(), Is.EqualTo(new[]
        {
            (KdaTime(At("08:00")), "C-1001", 3L, 8.25m), (KdaTime(At("08:00")), "C-2002", 2L, 5.50m),
            (KdaTime(At("08:10")), "C-1001", 3L, 7.50m), (KdaTime(At("08:10")), "C-2002", 1L, 2.75m),
            (KdaTime(At("08:20")), "C-1001", 3L, 9.00m), (KdaTime(At("08:20")), "C-2002", 4L, 11.00m),
            (KdaTime(At("08:30")), "C-1001", 1L, 3.00m),
        }), "the billing application's 10-minute totals");

        var calls = webhook.Entries();
        Assert.That(calls, Has.Count.EqualTo(1), "one webhook call for the period");
        var alerts = Alerts(calls[0]);
        Assert.That(alerts.Select(a => ((string)a["status"]!, (string)a["labels"]!["CUSTOMER_ID"]!, (string)a["labels"]!["period"]!)),
            Is.EqualTo(new[] { ("firing", "C-1001", Day.ToString("yyyy-MM", CultureInfo.InvariantCulture)) }));
        var mails = smtp.Entries();
        Assert.That(mails, Has.Count.EqualTo(1), "one e-mail for the period");
        Assert.That((string)mails[0]["body"]!, Does.Contain("C-1001").And.Not.Contain("C-2002"));
        Assert.That(await TotalAsync(api, "billing-over-limit", "C-2002"), Is.EqualTo(19.25).Within(1e-9));
        Assert.That((await api.AlertsAsync("firing")).Select(a => (string)a["labels"]!["CUSTOMER_ID"]!), Is.EqualTo(new[] { "C-1001" }));
    }

    [Test]
    public async Task Low_traffic_app_with_s3_thresholds_makes_a_quiet_booth_and_a_silent_booth_fire_and_both_resolve_when_traffic_returns()
    {
        using var webhook = await BackgroundScript.StartAsync(ClientScripts.Python, "alerts_webhook.py");
        await using var s3 = await S3Server.StartAsync();
        await s3.CreateBucketAsync("toll-config");
        await s3.Client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = "toll-config", Key = "booth-thresholds.csv", ContentBody = "B07,10\nB08,4\nB12,3\n", UseChunkEncoding = false });
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", S3Server.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", S3Server.SecretKey);
        await using var server = await StartAsync(s => s.S3Endpoint = s3.Endpoint);
        using var kda = new KdaHarness(server.Endpoint);
        using var api = new AlertsClient(server.Endpoint);

        // §10.2 exactly, with both of its in-application streams sent out: per-booth volumes and the app's own alerts.
        await kda.CreateStreamAsync("toll-passages");
        await kda.CreateStreamAsync("booth-volume-30m");
        await kda.CreateStreamAsync("low-traffic");
        var spec = KdaHarness.Spec("tolls", KdaExamples.LowTraffic, KdaHarness.TollInput("toll-passages"),
            KdaHarness.StreamOutput("BOOTH_VOLUME_30M", "booth-volume-30m"), KdaHarness.StreamOutput("LOW_TRAFFIC_ALERTS", "low-traffic"));
        spec["ReferenceDataSource"] = KdaHarness.BoothThresholdsSource();
        await kda.CreateApplicationAsync(spec);
        await kda.Boto3Async("start", "tolls", "NOW");

        // The same thresholds object is the rule's limits table: its keys are the booths expected to report.
        await api.OkAsync(HttpMethod.Post, "limits/booth-thresholds/s3", """{"bucket": "toll-config", "key": "booth-thresholds.csv"}""");
        await api.PutRuleAsync(SeedRules.BoothLowTraffic("booth-volume-30m", "1m", new { type = "webhook", url = webhook.Url + "/ops" }));

        // 08:00–08:30: B07 5 vehicles (threshold 10), B08 6 (threshold 4), B12 none at all (threshold 3).
        var passages = new List<string>();
        for (var i = 0; i < 5; i++) passages.Add(KdaHarness.Toll("C-" + i, "B07", "P" + i, "CAR", 2, 1m, KdaTime(At("08:05"))));
        for (var i = 0; i < 6; i++) passages.Add(KdaHarness.Toll("C-" + i, "B08", "Q" + i, "CAR", 2, 1m, KdaTime(At("08:05"))));
        await kda.PutAsync("toll-passages", passages);
        await ReadByAppAsync(server, "tolls", 11);
        _clock.AdvanceTo(At("08:30:02"));
        await EventuallyAsync(async () => (await StateAsync(api, "booth-low-traffic", "windows")).Count == 2, "the app's 08:00 volumes of B07 and B08 reaching the rule");
        Assert.That(webhook.Entries(), Is.Empty, "the window is evaluated only after its delay");

        _clock.AdvanceTo(At("08:31:02"));
        await EventuallyAsync(() => Task.FromResult(Notified(webhook, "BOOTH_ID").Count(n => n.Status == "firing") >= 2), "B07 (5 < 10) and B12 (no vehicles) firing");
        Assert.That(Notified(webhook, "BOOTH_ID").Where(n => n.Status == "firing").Select(n => n.Key).Order(), Is.EqualTo(new[] { "B07", "B12" }));
        var firing = await api.AlertsAsync("firing");
        Assert.That((string)firing.Single(a => (string)a["labels"]!["BOOTH_ID"]! == "B12")["annotations"]!["count"]!, Is.EqualTo("0"));

        // 08:30–09:00: every booth at or over its threshold.
        passages.Clear();
        for (var i = 0; i < 12; i++) passages.Add(KdaHarness.Toll("C-" + i, "B07", "P" + i, "CAR", 2, 1m, KdaTime(At("08:35"))));
        for (var i = 0; i < 5; i++) passages.Add(KdaHarness.Toll("C-" + i, "B08", "Q" + i, "CAR", 2, 1m, KdaTime(At("08:35"))));
        for (var i = 0; i < 3; i++) passages.Add(KdaHarness.Toll("C-" + i, "B12", "R" + i, "CAR", 2, 1m, KdaTime(At("08:35"))));
        await kda.PutAsync("toll-passages", passages);
        await ReadByAppAsync(server, "tolls", 31);
        _clock.AdvanceTo(At("09:00:02"));
        await EventuallyAsync(async () => (await StateAsync(api, "booth-low-traffic", "windows")).Count == 5, "the app's 08:30 volumes reaching the rule");
        _clock.AdvanceTo(At("09:01:02"));
        await EventuallyAsync(() => Task.FromResult(Notified(webhook, "BOOTH_ID").Count(n => n.Status == "resolved") >= 2), "B07 and B12 resolved");

        Assert.That(Notified(webhook, "BOOTH_ID").Where(n => n.Status == "resolved").Select(n => n.Key).Order(), Is.EqualTo(new[] { "B07", "B12" }));
        Assert.That(Notified(webhook, "BOOTH_ID").Any(n => n.Key == "B08"), Is.False, "B08 was never under its threshold");
        Assert.That(await api.AlertsAsync("firing"), Is.Empty);
        var volumes = (await kda.ReadAllAsync("booth-volume-30m")).Select(r => r.Data).Order(StringComparer.Ordinal);
        Assert.That(volumes, Is.EqualTo(new[]
        {
            $$"""{"BOOTH_ID":"B07","WINDOW_START":"{{KdaTime(At("08:00"))}}","VEHICLES":5}""",
            $$"""{"BOOTH_ID":"B07","WINDOW_START":"{{KdaTime(At("08:30"))}}","VEHICLES":12}""",
            $$"""{"BOOTH_ID":"B08","WINDOW_START":"{{KdaTime(At("08:00"))}}","VEHICLES":6}""",
            $$"""{"BOOTH_ID":"B08","WINDOW_START":"{{KdaTime(At("08:30"))}}","VEHICLES":5}""",
            $$"""{"BOOTH_ID":"B12","WINDOW_START":"{{KdaTime(At("08:30"))}}","VEHICLES":3}""",
        }));
        Assert.That((await kda.ReadAllAsync("low-traffic")).Select(r => r.Data), Is.EqualTo(new[]
        {
            $$"""{"BOOTH_ID":"B07","WINDOW_START":"{{KdaTime(At("08:00"))}}","VEHICLES":5,"MIN_VEHICLES":10}""",
        }), "the app itself can only flag the booth that had traffic (§10.2); the silent booth comes from the absence rule");
    }

    [Test]
    public async Task Random_cut_forest_app_scores_an_injected_temperature_highest_and_only_that_sensor_fires()
    {
        using var webhook = await BackgroundScript.StartAsync(ClientScripts.Python, "alerts_webhook.py");
        await using var server = await StartAsync();
        using var kda = new KdaHarness(server.Endpoint);
        using var api = new AlertsClient(server.Endpoint);

        await kda.CreateStreamAsync("sensor-readings");
        await kda.CreateStreamAsync("sensor-scores");
        var input = KdaHarness.SensorInput("sensor-readings");
        await kda.CreateApplicationAsync(KdaHarness.Spec("fleet", KdaExamples.RandomCutForest, input, KdaHarness.StreamOutput("RCF_RANKED", "sensor-scores")));
        await kda.Boto3Async("start", "fleet", "NOW");
        await api.PutRuleAsync(SeedRules.TemperatureAnomaly("sensor-scores", AnomalyThreshold, new { type = "webhook", url = webhook.Url + "/fleet" }));

        // 400 ordinary readings from four refrigerated trailers (the forest warms up on the first 256), then 20 more
        // with T-2's last one at 41 °C and 8 % humidity. All 21 share one second, so RCF_RANKED emits the anomaly
        // first and T-2's ordinary readings of that second after it: the crossing must not be lost behind them.
        var random = new Random(42);
        string Reading(int sensor, double temp, double hum) =>
            string.Create(CultureInfo.InvariantCulture, $$"""{"sensor":"T-{{sensor}}","temp":{{temp:F2}},"hum":{{hum:F2}}}""");
        var normal = Enumerable.Range(0, 400).Select(i => Reading(i % 4, 3.0 + random.NextDouble(), 60.0 + 2 * random.NextDouble())).ToList();
        await kda.PutAsync("sensor-readings", normal);
        await ReadByAppAsync(server, "fleet", 400);
        var after = Enumerable.Range(0, 20).Select(i => Reading(i % 4, 3.0 + random.NextDouble(), 60.0 + 2 * random.NextDouble())).ToList();
        after.Add(Reading(2, 41.0, 8.0));
        await kda.PutAsync("sensor-readings", after);

        await EventuallyAsync(() => Task.FromResult(webhook.Entries().Count >= 1), "the anomaly notification");
        var scores = (await kda.WaitForOutputAsync("sensor-scores", 421)).Select(o => JsonNode.Parse(o)!).ToList();
        Assert.That(scores, Has.Count.EqualTo(421), "one scored row per reading");
        var ranked = scores.OrderByDescending(s => (double)s["ANOMALY_SCORE"]!).ToList();
        Assert.That(((string)ranked[0]["SENSOR_ID"]!, (double)ranked[0]["TEMP_C"]!), Is.EqualTo(("T-2", 41.0)), "the injected reading scores highest");
        TestContext.Out.WriteLine($"anomaly score {(double)ranked[0]["ANOMALY_SCORE"]!:F3}; highest ordinary score {(double)ranked[1]["ANOMALY_SCORE"]!:F3}");
        Assert.That((double)ranked[1]["ANOMALY_SCORE"]!, Is.LessThan(AnomalyThreshold), "no ordinary reading crosses the rule's threshold");

        await Task.Delay(1000);
        Assert.That(Notified(webhook, "SENSOR_ID"), Is.EqualTo(new[] { ("firing", "T-2") }));
        var alert = (await api.AlertsAsync("firing")).Single();
        Assert.That((string)alert["labels"]!["SENSOR_ID"]!, Is.EqualTo("T-2"));
    }

    private const double AnomalyThreshold = 3.0;
}
