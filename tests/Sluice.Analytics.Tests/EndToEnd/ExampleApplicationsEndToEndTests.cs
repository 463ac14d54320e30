using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Sluice.Analytics.Tests.Sql;

namespace Sluice.Analytics.Tests.EndToEnd;

/// <summary>
/// The reference's example applications (§10) created with boto3 from their exact SQL and configuration, fed with
/// boto3 into a Sluice stream, their output read back from Sluice output streams. The clock is a ShiftedClock so
/// 10- and 30-minute windows close at once.
/// </summary>
[NonParallelizable]
public sealed class ExampleApplicationsEndToEndTests
{
    private ShiftedClock _clock = null!;
    private TestServer _server = null!;
    private KdaHarness _kda = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _clock = new ShiftedClock();
        _server = await TestServer.StartAsync(await TestStorage.CreateAsync(TestStorage.Sqlite), s => s.AddSingleton<TimeProvider>(_clock));
        _kda = new KdaHarness(_server.Endpoint);
    }

    [TearDown]
    public async Task StopAsync()
    {
        _kda.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>Moves the clock to just after the next multiple of <paramref name="window"/>, so a test's records share one window.</summary>
    private DateTime EnterFreshWindow(TimeSpan window)
    {
        var now = _clock.GetUtcNow().UtcDateTime;
        var start = new DateTime(now.Ticks - (now.Ticks % window.Ticks) + window.Ticks, DateTimeKind.Utc);
        _clock.AdvanceTo(new DateTimeOffset(start.AddSeconds(1)));
        return start;
    }

    private static string Ts(DateTime t) => t.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    [Test]
    public async Task Filter_and_project_10_5_emits_heavy_vehicles_only_with_trimmed_upper_plates_and_lag()
    {
        await _kda.CreateStreamAsync("toll-events");
        await _kda.CreateStreamAsync("heavy-out");
        await _kda.CreateApplicationAsync(KdaHarness.Spec("heavy", ExampleApplicationsTests.HeavyVehicles, KdaHarness.TollInput("toll-events"),
            KdaHarness.StreamOutput("HEAVY_VEHICLES", "heavy-out")));
        await _kda.Boto3Async("start", "heavy", "TRIM_HORIZON");

        await _kda.PutAsync("toll-events",
        [
            KdaHarness.Toll("C-1", "B07", " ab123cd ", "TRUCK", 4, 9.50m, "2024-05-01 08:00:00.000"),
            KdaHarness.Toll("C-2", "B07", "xy1", "CAR", 2, 2.75m, "2024-05-01 08:00:01.000"),
            KdaHarness.Toll("C-3", "B08", "bus9", "BUS", 3, 5.00m, "2024-05-01 08:00:02.000"),
            KdaHarness.Toll("C-4", "B08", " zz9 ", "TRUCK", 3, 7.25m, "2024-05-01 08:00:03.500"),
            """{"customerId":"C-5","boothId":"B09","vehicleClass":"TRUCK","axles":5,"amount":1,"passageTime":"2024-05-01 08:00:04.000"}""",
            """{"customerId":"C-6","boothId":"B09","plate":"bad","vehicleClass":"TRUCK","axles":"many","amount":1,"passageTime":"2024-05-01 08:00:05.000"}""",
        ]);
        var input = await _kda.ReadAllAsync("toll-events");
        var output = await _kda.WaitForOutputAsync("heavy-out", 2);

        long Lag(int i, string passage) => input[i].ArrivalMs - new DateTimeOffset(DateTime.Parse(passage, CultureInfo.InvariantCulture), TimeSpan.Zero).ToUnixTimeMilliseconds();
        Assert.That(output, Is.EqualTo(new[]
        {
            $$"""{"BOOTH_ID":"B07","PLATE":"AB123CD","AXLES":4,"PASSAGE_TIME":"2024-05-01 08:00:00.000","LAG_MS":{{Lag(0, "2024-05-01 08:00:00.000")}}}""",
            $$"""{"BOOTH_ID":"B08","PLATE":"ZZ9","AXLES":3,"PASSAGE_TIME":"2024-05-01 08:00:03.500","LAG_MS":{{Lag(3, "2024-05-01 08:00:03.500")}}}""",
        }));

        // The application's figures (KDA's Records/Bytes per flow, plus error rows and state) on this replica.
        using var http = new HttpClient();
        var metrics = JsonNode.Parse(await http.GetStringAsync(_server.Endpoint + "/analytics/v1/applications/heavy/metrics"))!;
        Assert.That(((long)metrics["Input.Records"]!, (long)metrics["ErrorRows"]!, (long)metrics["Output.Records"]!), Is.EqualTo((6L, 1L, 2L)));
        Assert.That((long)metrics["Input.Bytes"]!, Is.EqualTo(input.Sum(r => (long)System.Text.Encoding.UTF8.GetByteCount(r.Data))));
        Assert.That((long)metrics["Output.Bytes"]!, Is.EqualTo(output.Sum(o => (long)System.Text.Encoding.UTF8.GetByteCount(o))));
        Assert.That((long)metrics["StateEntries"]!, Is.Zero, "filter and project keeps no state");
        using var missing = await http.GetAsync(_server.Endpoint + "/analytics/v1/applications/nope/metrics");
        Assert.That((int)missing.StatusCode, Is.EqualTo(404));
    }

    [Test]
    public async Task Toll_billing_10_1_totals_each_customer_per_10_minute_window_when_time_passes_the_window_end()
    {
        await _kda.CreateStreamAsync("tolls-in");
        await _kda.CreateStreamAsync("billing-out");
        await _kda.CreateApplicationAsync(KdaHarness.Spec("billing", ExampleApplicationsTests.TollBilling, KdaHarness.TollInput("tolls-in"),
            KdaHarness.StreamOutput("CUSTOMER_BILLING_10M", "billing-out")));
        await _kda.Boto3Async("start", "billing", "NOW");
        var window = EnterFreshWindow(TimeSpan.FromMinutes(10));

        await _kda.PutAsync("tolls-in",
        [
            KdaHarness.Toll("C-1001", "B07", "p1", "CAR", 2, 2.75m, "2024-05-01 08:03:12.000"),
            KdaHarness.Toll("C-1002", "B07", "p2", "CAR", 2, 3.10m, "2024-05-01 08:03:13.000"),
            KdaHarness.Toll("C-1001", "B08", "p1", "CAR", 2, 2.75m, "2024-05-01 08:04:00.000"),
            KdaHarness.Toll("C-1001", "B12", "p1", "CAR", 2, 2.75m, "2024-05-01 08:05:00.000"),
        ]);
        await Task.Delay(1500);
        Assert.That(await _kda.ReadAllAsync("billing-out"), Is.Empty, "nothing is emitted before the window ends");
        using (var http = new HttpClient())
        {
            var metrics = JsonNode.Parse(await http.GetStringAsync(_server.Endpoint + "/analytics/v1/applications/billing/metrics"))!;
            Assert.That((long)metrics["StateEntries"]!, Is.EqualTo(2), "one open group per customer");
        }


        _clock.Advance(TimeSpan.FromMinutes(10));
        var output = await _kda.WaitForOutputAsync("billing-out", 2);
        Assert.That(output.Order(StringComparer.Ordinal), Is.EqualTo(new[]
        {
            $$"""{"WINDOW_START":"{{Ts(window)}}","CUSTOMER_ID":"C-1001","PASSAGES":3,"TOTAL_DUE":8.25}""",
            $$"""{"WINDOW_START":"{{Ts(window)}}","CUSTOMER_ID":"C-1002","PASSAGES":1,"TOTAL_DUE":3.10}""",
        }));
    }

    [Test]
    public async Task Stop_and_start_at_LAST_STOPPED_POINT_gives_the_same_totals_as_an_uninterrupted_run()
    {
        await _kda.CreateStreamAsync("resume-in");
        await _kda.CreateStreamAsync("resume-out");
        await _kda.CreateApplicationAsync(KdaHarness.Spec("resume", ExampleApplicationsTests.TollBilling, KdaHarness.TollInput("resume-in"),
            KdaHarness.StreamOutput("CUSTOMER_BILLING_10M", "resume-out")));
        await _kda.Boto3Async("start", "resume", "NOW");
        var window = EnterFreshWindow(TimeSpan.FromMinutes(10));

        await _kda.PutAsync("resume-in", [KdaHarness.Toll("C-1", "B07", "p", "CAR", 2, 1.00m, "2024-05-01 08:00:00.000"), KdaHarness.Toll("C-2", "B07", "q", "CAR", 2, 4.00m, "2024-05-01 08:00:00.000")]);
        await Task.Delay(1500);
        await _kda.Boto3Async("stop", "resume");

        // Records that arrive while the application is stopped are read on restart; the open window kept its rows.
        await _kda.PutAsync("resume-in", [KdaHarness.Toll("C-1", "B07", "p", "CAR", 2, 2.50m, "2024-05-01 08:00:00.000")]);
        await _kda.Boto3Async("start", "resume", "LAST_STOPPED_POINT");
        await _kda.PutAsync("resume-in", [KdaHarness.Toll("C-1", "B07", "p", "CAR", 2, 0.25m, "2024-05-01 08:00:00.000")]);
        await Task.Delay(1500);

        _clock.Advance(TimeSpan.FromMinutes(10));
        var output = await _kda.WaitForOutputAsync("resume-out", 2);
        Assert.That(output.Order(StringComparer.Ordinal), Is.EqualTo(new[]
        {
            $$"""{"WINDOW_START":"{{Ts(window)}}","CUSTOMER_ID":"C-1","PASSAGES":3,"TOTAL_DUE":3.75}""",
            $$"""{"WINDOW_START":"{{Ts(window)}}","CUSTOMER_ID":"C-2","PASSAGES":1,"TOTAL_DUE":4.00}""",
        }));
    }

    [Test]
    public async Task Low_traffic_10_2_alerts_booths_under_their_s3_threshold_and_a_booth_without_traffic_cannot_alert()
    {
        await using var s3 = await S3Server.StartAsync();
        await s3.CreateBucketAsync("toll-config");
        await s3.Client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest { BucketName = "toll-config", Key = "booth-thresholds.csv", ContentBody = "B07,120\nB08,40\nB12,300\n", UseChunkEncoding = false });
        await _server.DisposeAsync();
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", S3Server.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", S3Server.SecretKey);
        var settings = await TestStorage.CreateAsync(TestStorage.Sqlite);
        settings.S3Endpoint = s3.Endpoint;
        _server = await TestServer.StartAsync(settings, s => s.AddSingleton<TimeProvider>(_clock));
        _kda.Dispose();
        _kda = new KdaHarness(_server.Endpoint);

        await _kda.CreateStreamAsync("booths-in");
        await _kda.CreateStreamAsync("alerts-out");
        var spec = KdaHarness.Spec("tolls", ExampleApplicationsTests.LowTraffic, KdaHarness.TollInput("booths-in"), KdaHarness.StreamOutput("LOW_TRAFFIC_ALERTS", "alerts-out"));
        spec["ReferenceDataSource"] = KdaHarness.BoothThresholdsSource();
        await _kda.CreateApplicationAsync(spec);
        await _kda.Boto3Async("start", "tolls", "NOW");
        var window = EnterFreshWindow(TimeSpan.FromMinutes(30));

        var passages = new List<string>();
        for (var i = 0; i < 5; i++) passages.Add(KdaHarness.Toll("C-" + i, "B07", "p" + i, "CAR", 2, 1m, "2024-05-01 08:00:00.000"));
        for (var i = 0; i < 45; i++) passages.Add(KdaHarness.Toll("C-" + i, "B08", "q" + i, "CAR", 2, 1m, "2024-05-01 08:00:00.000"));
        await _kda.PutAsync("booths-in", passages);
        await Task.Delay(1500);
        _clock.Advance(TimeSpan.FromMinutes(30));

        var output = await _kda.WaitForOutputAsync("alerts-out", 1);
        Assert.That(output, Is.EqualTo(new[] { $$"""{"BOOTH_ID":"B07","WINDOW_START":"{{Ts(window)}}","VEHICLES":5,"MIN_VEHICLES":120}""" }),
            "B08 met its threshold; B12 had no passages, so no group row exists for it to alert on (§10.2)");
    }
    [Test]
    public async Task Sliding_average_10_3_flags_a_reading_far_from_its_sensors_5_minute_average()
    {
        await _kda.CreateStreamAsync("temps-in");
        await _kda.CreateStreamAsync("flagged-out");
        var input = KdaHarness.SensorInput("temps-in");
        await _kda.CreateApplicationAsync(KdaHarness.Spec("temps", ExampleApplicationsTests.SlidingTemperature, input, KdaHarness.StreamOutput("TEMP_FLAGGED", "flagged-out")));
        await _kda.Boto3Async("start", "temps", "TRIM_HORIZON");
        await _kda.PutAsync("temps-in",
        [
            """{"sensor":"s1","temp":20,"hum":40}""", """{"sensor":"s1","temp":21,"hum":41}""", """{"sensor":"s2","temp":5,"hum":80}""", """{"sensor":"s1","temp":30,"hum":39}""",
        ]);
        var output = (await _kda.WaitForOutputAsync("flagged-out", 4)).Select(o => JsonNode.Parse(o)!).ToList();
        Assert.That(output.Select(o => ((string?)o["SENSOR_ID"], (double)o["TEMP_C"]!, (long)o["SAMPLES_5M"]!, (bool)o["IS_ANOMALY"]!)), Is.EqualTo(new[]
        {
            ("s1", 20d, 1L, false), ("s1", 21d, 2L, false), ("s2", 5d, 1L, false), ("s1", 30d, 3L, true),
        }));
        Assert.That(output.Select(o => (double)o["AVG_5M"]!), Is.EqualTo(new[] { 20d, 20.5d, 5d, 71d / 3 }).Within(1e-9));
    }

    [Test]
    public async Task Stagger_window_10_6_counts_passages_per_plate_booth_and_event_minute_when_each_window_closes()
    {
        await _kda.CreateStreamAsync("plates-in");
        await _kda.CreateStreamAsync("visits-out");
        await _kda.CreateApplicationAsync(KdaHarness.Spec("visits", ExampleApplicationsTests.PlateVisits, KdaHarness.TollInput("plates-in"), KdaHarness.StreamOutput("PLATE_VISITS", "visits-out")));
        await _kda.Boto3Async("start", "visits", "NOW");
        await _kda.PutAsync("plates-in",
        [
            KdaHarness.Toll("C-1", "B07", "p1", "CAR", 2, 2.75m, "2024-05-01 08:00:10.000"),
            KdaHarness.Toll("C-1", "B07", "p1", "CAR", 2, 2.75m, "2024-05-01 08:00:50.000"),
            KdaHarness.Toll("C-2", "B07", "p2", "CAR", 2, 1.50m, "2024-05-01 08:01:05.000"),
            KdaHarness.Toll("C-3", "B08", "p3", "CAR", 2, 1.00m, "2024-05-01 08:00:20.000"),
        ]);
        await Task.Delay(1500);
        _clock.Advance(TimeSpan.FromMinutes(3));
        var output = await _kda.WaitForOutputAsync("visits-out", 3);
        Assert.That(output.Order(StringComparer.Ordinal), Is.EqualTo(new[]
        {
            """{"PLATE":"p1","BOOTH_ID":"B07","EVENT_MINUTE":"2024-05-01 08:00:00.000","PASSAGES":2,"TOTAL_AMOUNT":5.50}""",
            """{"PLATE":"p2","BOOTH_ID":"B07","EVENT_MINUTE":"2024-05-01 08:01:00.000","PASSAGES":1,"TOTAL_AMOUNT":1.50}""",
            """{"PLATE":"p3","BOOTH_ID":"B08","EVENT_MINUTE":"2024-05-01 08:00:00.000","PASSAGES":1,"TOTAL_AMOUNT":1.00}""",
        }));
    }

    [Test]
    public async Task Random_cut_forest_10_4_scores_every_reading_and_ranks_the_injected_anomalies_highest()
    {
        await _kda.CreateStreamAsync("sensors-in");
        await _kda.CreateStreamAsync("scored-out");
        await _kda.CreateStreamAsync("ranked-out");
        var input = KdaHarness.SensorInput("sensors-in");
        await _kda.CreateApplicationAsync(KdaHarness.Spec("rcf", ExampleApplicationsTests.RandomCutForest, input,
            KdaHarness.StreamOutput("RCF_SCORED", "scored-out"), KdaHarness.StreamOutput("RCF_RANKED", "ranked-out")));
        await _kda.Boto3Async("start", "rcf", "TRIM_HORIZON");

        // Three sensors, 300 seeded readings each with small noise around their own level, interleaved; five far-off
        // readings after the forest has seen subSampleSize (256) points. A reading without humidity is filtered out.
        var random = new Random(42);
        var levels = new (string Sensor, double Temp, double Hum)[] { ("s1", 20, 40), ("s2", 22, 45), ("s3", 19, 50) };
        var anomalies = new Dictionary<int, (string Sensor, double Temp, double Hum)>
        {
            [400] = ("s1", 61.5, 41), [520] = ("s2", 22, 97.25), [655] = ("s3", -14.5, 12), [780] = ("s1", 55.75, 90.5), [860] = ("s2", 70.25, 5.5),
        };
        var lines = new List<string>();
        var expected = new List<(string Sensor, double Temp, double Hum)>();
        for (var i = 0; i < 900; i++)
        {
            var level = levels[i % 3];
            (string Sensor, double Temp, double Hum) reading = anomalies.TryGetValue(i, out var a) ? a
                : (level.Sensor, Math.Round(level.Temp + random.NextDouble() - 0.5, 3), Math.Round(level.Hum + random.NextDouble() - 0.5, 3));
            lines.Add(string.Create(CultureInfo.InvariantCulture, $$"""{"sensor":"{{reading.Sensor}}","temp":{{reading.Temp}},"hum":{{reading.Hum}}}"""));
            expected.Add(reading);
        }

        lines.Insert(300, """{"sensor":"s1","temp":21}""");
        await _kda.PutAsync("sensors-in", lines);

        var scoredText = await _kda.WaitForOutputAsync("scored-out", expected.Count);
        var scored = scoredText.Select(o => JsonNode.Parse(o)!.AsObject()).ToList();
        Assert.That(scored, Has.Count.EqualTo(expected.Count), "one scored row per reading that reached RCF_INPUT");
        Assert.That(scored.Select(o => string.Join(",", o.Select(p => p.Key))).Distinct(), Is.EqualTo(new[] { "SENSOR_ID,TEMP_C,HUMIDITY,ANOMALY_SCORE" }));
        Assert.That(scored.Select(o => ((string)o["SENSOR_ID"]!, (double)o["TEMP_C"]!, (double)o["HUMIDITY"]!)), Is.EqualTo(expected), "rows keep the input order and values");
        Assert.That(scored.Take(256).Select(o => (double)o["ANOMALY_SCORE"]!), Is.All.EqualTo(0d), "scores are 0 until subSampleSize points were seen");
        var top = scored.Select((o, i) => (Index: i, Score: (double)o["ANOMALY_SCORE"]!)).OrderByDescending(x => x.Score).Take(anomalies.Count).Select(x => x.Index);
        Assert.That(top, Is.EquivalentTo(anomalies.Keys), "the injected anomalies have the highest scores");

        var ranked = await _kda.WaitForOutputAsync("ranked-out", expected.Count);
        Assert.That(ranked.Order(StringComparer.Ordinal), Is.EqualTo(scoredText.Order(StringComparer.Ordinal)),
            "RCF_RANKED holds the same rows, reordered within each second");
    }
}
