using NUnit.Framework;
using Sluice.Analytics.Sql;

namespace Sluice.Analytics.Tests.Sql;

/// <summary>The six example applications of the reference (§10) run on deterministic rows.</summary>
public class ExampleApplicationsTests
{
    public const string TollBilling = KdaExamples.TollBilling;
    public const string LowTraffic = KdaExamples.LowTraffic;
    public const string SlidingTemperature = KdaExamples.SlidingTemperature;
    public const string RandomCutForest = KdaExamples.RandomCutForest;
    public const string HeavyVehicles = KdaExamples.HeavyVehicles;
    public const string PlateVisits = KdaExamples.PlateVisits;

    [Test]
    public void Filter_and_project_keeps_heavy_non_bus_vehicles_with_trimmed_upper_plates_and_arrival_lag()
    {
        var sink = new CollectingSink();
        var runtime = Tolls.Start(HeavyVehicles, Tolls.Input, sink, "HEAVY_VEHICLES");
        runtime.Push(Tolls.Source, new SourceRow(Tolls.At("08:00:05"), Tolls.At("08:00:04.250"), Tolls.Passage("C-1", "B07", " ab123cd ", "TRUCK", 4, 9.50m, "08:00:03")));
        runtime.Push(Tolls.Source, new SourceRow(Tolls.At("08:00:06"), Tolls.At("08:00:06"), Tolls.Passage("C-2", "B07", "xy1", "CAR", 2, 2.75m, "08:00:05")));
        runtime.Push(Tolls.Source, new SourceRow(Tolls.At("08:00:07"), Tolls.At("08:00:07"), Tolls.Passage("C-3", "B08", "bus1", "BUS", 3, 5m, "08:00:06")));
        runtime.Push(Tolls.Source, new SourceRow(Tolls.At("08:00:08"), Tolls.At("08:00:08"), Tolls.Passage("C-4", "B08", null, "TRUCK", 5, 5m, "08:00:07")));
        runtime.Push(Tolls.Source, new SourceRow(Tolls.At("08:00:09"), Tolls.At("08:00:09.500"), Tolls.Passage("C-5", "B12", "Lorry 9", "TRUCK", 3, 7m, "08:00:09")));

        Assert.That(sink.Lines("HEAVY_VEHICLES"), Is.EqualTo(new[]
        {
            "08:00:05 | B07, AB123CD, 4, 2024-05-01 08:00:03, 1250",
            "08:00:09 | B12, LORRY 9, 3, 2024-05-01 08:00:09, 500",
        }));
    }

    [Test]
    public void Toll_billing_emits_one_row_per_customer_per_10_minutes_at_the_window_end()
    {
        var sink = new CollectingSink();
        var runtime = Tolls.Start(TollBilling, Tolls.Input, sink, "CUSTOMER_BILLING_10M");
        runtime.Push("08:01:00", Tolls.Passage("C-1001", "B07", "P1", "CAR", 2, 2.75m, "08:00:58"));
        runtime.Push("08:03:00", Tolls.Passage("C-2002", "B07", "P2", "CAR", 2, 3.00m, "08:02:58"));
        runtime.Push("08:05:00", Tolls.Passage("C-1001", "B08", "P1", "CAR", 2, 2.75m, "08:04:58"));
        runtime.Push("08:09:59.999", Tolls.Passage("C-1001", "B12", "P1", "CAR", 2, 2.75m, "08:09:58"));
        Assert.That(sink.Rows, Is.Empty, "the window is still open");

        runtime.Push("08:10:00", Tolls.Passage("C-2002", "B07", "P2", "CAR", 2, 4.50m, "08:09:59"));
        Assert.That(sink.Lines("CUSTOMER_BILLING_10M"), Is.EqualTo(new[]
        {
            "08:10:00 | 2024-05-01 08:00:00, C-1001, 3, 8.25",
            "08:10:00 | 2024-05-01 08:00:00, C-2002, 1, 3.00",
        }));

        // Idle: the wall clock passing 08:20 closes the second window with no new rows.
        runtime.AdvanceClock(Tolls.At("08:19:59"));
        Assert.That(sink.Rows, Has.Count.EqualTo(2));
        runtime.AdvanceClock(Tolls.At("08:20:00.500"));
        Assert.That(sink.Lines("CUSTOMER_BILLING_10M")[2], Is.EqualTo("08:20:00 | 2024-05-01 08:10:00, C-2002, 1, 4.50"));
    }

    [Test]
    public void Low_traffic_alerts_booths_under_their_threshold_and_a_booth_with_no_traffic_emits_nothing()
    {
        var sink = new CollectingSink();
        var runtime = Tolls.Start(LowTraffic, Tolls.Input, [Tolls.Thresholds], sink, "BOOTH_VOLUME_30M", "LOW_TRAFFIC_ALERTS");
        runtime.LoadReferenceTable("BOOTH_THRESHOLDS", [["B07", 120L], ["B08", 40L], ["B12", 300L]]);
        for (int i = 0; i < 50; i++)
        {
            // B07: 50 passages (< 120); B08: 45 passages (>= 40, no alert). B12: none at all.
            runtime.Push($"08:{i / 2:00}:{(i % 2) * 30:00}", Tolls.Passage("C-1", "B07", "P", "CAR", 2, 1m, "08:00:00"));
            if (i < 45)
            {
                runtime.Push($"08:{i / 2:00}:{((i % 2) * 30) + 1:00}", Tolls.Passage("C-2", "B08", "Q", "CAR", 2, 1m, "08:00:00"));
            }
        }

        Assert.That(sink.Rows, Is.Empty);
        runtime.AdvanceClock(Tolls.At("08:30:00"));

        Assert.That(sink.Lines("BOOTH_VOLUME_30M"), Is.EqualTo(new[]
        {
            "08:30:00 | B07, 2024-05-01 08:00:00, 50",
            "08:30:00 | B08, 2024-05-01 08:00:00, 45",
        }));
        Assert.That(sink.Lines("LOW_TRAFFIC_ALERTS"), Is.EqualTo(new[] { "08:30:00 | B07, 2024-05-01 08:00:00, 50, 120" }),
            "B12 had zero passages, so no group row exists for it and it cannot alert (the limitation the reference documents)");
    }

    [Test]
    public void Sliding_temperature_average_includes_the_current_reading_and_flags_jumps_over_4_degrees()
    {
        var sink = new CollectingSink();
        var runtime = Tolls.Start(SlidingTemperature, Tolls.Sensors, sink, "TEMP_FLAGGED");
        runtime.Push("08:00:00", ["S1", 20.0, 50.0]);
        runtime.Push("08:01:00", ["S1", 21.0, 50.0]);
        runtime.Push("08:02:00", ["S1", 20.0, 50.0]);
        runtime.Push("08:03:00", ["S1", 30.0, 50.0]);
        runtime.Push("08:03:30", ["S2", 15.0, 40.0]);
        runtime.Push("08:05:00", ["S1", 21.0, 50.0]);
        runtime.Push("08:08:30", ["S1", 20.0, 50.0]);

        Assert.That(sink.Lines("TEMP_FLAGGED"), Is.EqualTo(new[]
        {
            "08:00:00 | S1, 20, 20, 1, FALSE",
            "08:01:00 | S1, 21, 20.5, 2, FALSE",
            "08:02:00 | S1, 20, 20.333, 3, FALSE",
            "08:03:00 | S1, 30, 22.75, 4, TRUE",
            "08:03:30 | S2, 15, 15, 1, FALSE",
            "08:05:00 | S1, 21, 22.4, 5, FALSE",
            "08:08:30 | S1, 20, 20.5, 2, FALSE",
        }));
    }

    [Test]
    public void Stagger_window_opens_per_plate_booth_and_event_minute_and_closes_two_minutes_later()
    {
        var sink = new CollectingSink();
        var runtime = Tolls.Start(PlateVisits, Tolls.Input, sink, "PLATE_VISITS");
        runtime.Push("11:00:20", Tolls.Passage("C-1", "B07", "AB1", "CAR", 2, 1.25m, "11:00:10"));
        runtime.Push("11:00:30", Tolls.Passage("C-1", "B07", "AB1", "CAR", 2, 1.25m, "11:00:20"));
        runtime.Push("11:00:40", Tolls.Passage("C-9", "B08", null, "CAR", 2, 9m, "11:00:40"));
        runtime.Push("11:01:05", Tolls.Passage("C-1", "B07", "AB1", "CAR", 2, 1.25m, "11:00:55"));
        runtime.Push("11:01:15", Tolls.Passage("C-1", "B07", "AB1", "CAR", 2, 2.00m, "11:01:05"));
        runtime.AdvanceClock(Tolls.At("11:02:19"));
        Assert.That(sink.Rows, Is.Empty);
        runtime.AdvanceClock(Tolls.At("11:03:15"));

        Assert.That(sink.Lines("PLATE_VISITS"), Is.EqualTo(new[]
        {
            "11:02:20 | AB1, B07, 2024-05-01 11:00:00, 3, 3.75",
            "11:03:15 | AB1, B07, 2024-05-01 11:01:00, 1, 2.00",
        }));
    }

    [Test]
    public void Every_example_application_compiles()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => SqlCompiler.Compile(TollBilling, [Tolls.Input], []), Throws.Nothing);
            Assert.That(() => SqlCompiler.Compile(LowTraffic, [Tolls.Input], [Tolls.Thresholds]), Throws.Nothing);
            Assert.That(() => SqlCompiler.Compile(SlidingTemperature, [Tolls.Sensors], []), Throws.Nothing);
            Assert.That(() => SqlCompiler.Compile(RandomCutForest, [Tolls.Sensors], []), Throws.Nothing);
            Assert.That(() => SqlCompiler.Compile(HeavyVehicles, [Tolls.Input], []), Throws.Nothing);
            Assert.That(() => SqlCompiler.Compile(PlateVisits, [Tolls.Input], []), Throws.Nothing);
        });
    }

    [Test]
    public void Random_cut_forest_ranks_the_injected_anomalies_highest_and_orders_each_second_by_score()
    {
        var sink = new CollectingSink();
        var runtime = Tolls.Start(RandomCutForest, Tolls.Sensors, sink, "RCF_SCORED", "RCF_RANKED");
        var random = new Random(7);
        var anomalies = new HashSet<int> { 700, 820, 950 };
        for (int i = 0; i < 1000; i++)
        {
            // Four readings per second; three far-off readings after the forest has warmed up (256 points).
            var time = Tolls.At("08:00:00").AddMilliseconds(i * 250);
            object?[] values = anomalies.Contains(i)
                ? ["S1", 60.0 + i % 7, 5.0]
                : ["S1", 20.0 + random.NextDouble(), 50.0 + random.NextDouble()];
            runtime.Push(Tolls.Source, new SourceRow(time, time, values));
        }

        runtime.AdvanceClock(Tolls.At("08:10:00"));

        var scored = sink.Rows.Where(r => r.Stream == "RCF_SCORED").ToList();
        Assert.That(scored, Has.Count.EqualTo(1000));
        Assert.That(scored.Take(256).All(r => (double)r.Values[3]! == 0), "scores are 0 until subSampleSize points were seen");
        var top = scored.Select((r, i) => (Index: i, Score: (double)r.Values[3]!)).OrderByDescending(x => x.Score).Take(3).Select(x => x.Index);
        Assert.That(top, Is.EquivalentTo(anomalies));

        var ranked = sink.Rows.Where(r => r.Stream == "RCF_RANKED").ToList();
        Assert.That(ranked, Has.Count.EqualTo(1000));
        foreach (var second in ranked.GroupBy(r => r.Rowtime))
        {
            var scores = second.Select(r => (double)r.Values[3]!).ToList();
            Assert.That(scores, Is.Ordered.Descending, $"rows of {second.Key:HH:mm:ss} come highest score first");
        }
    }
}
