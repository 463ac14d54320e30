using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Sluice.Analytics.Sql.Functions.Streaming;

namespace Sluice.Analytics.Tests.Functions;

public sealed class SketchTests
{
    private static T RoundTrip<T>(Action<BinaryWriter> save, Func<BinaryReader, T> load)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            save(w);
        }

        ms.Position = 0;
        using var r = new BinaryReader(ms);
        return load(r);
    }

    [Test]
    public void Distinct_counter_is_exact_up_to_ten_thousand_items()
    {
        Prop.ForAll(Gen.Choose(0, DistinctCounter.ExactLimit).ToArbitrary(), Gen.Choose(1, 3).ToArbitrary(), (n, repeats) =>
        {
            var c = new DistinctCounter();
            for (var r = 0; r < repeats; r++)
            {
                for (var i = 0; i < n; i++)
                {
                    c.Add("item-" + i);
                }
            }

            c.Add(null);
            return c.Count == n;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(20));
    }

    [TestCase(10_001)]
    [TestCase(25_000)]
    [TestCase(200_000)]
    public void Distinct_counter_estimates_within_three_percent_above_ten_thousand(int n)
    {
        var c = new DistinctCounter();
        for (var i = 0; i < n; i++)
        {
            c.Add($"user-{i * 7919}");
            c.Add($"user-{i * 7919}");
        }

        Assert.That(c.Count, Is.EqualTo(n).Within(3).Percent);
        var restored = RoundTrip(c.Save, DistinctCounter.Load);
        Assert.That(restored.Count, Is.EqualTo(c.Count));
        c.Reset();
        Assert.That(c.Count, Is.Zero);
    }

    [Test]
    public void Top_k_counts_are_exact_when_distinct_items_fit_the_capacity()
    {
        Prop.ForAll(Gen.Choose(1, 20).ToArbitrary(), Gen.ArrayOf(Gen.Choose(0, 60), 500).ToArbitrary(), (k, stream) =>
        {
            var top = new TopKItems(k);
            foreach (var v in stream)
            {
                top.Add("v" + v);
            }

            var expected = stream.GroupBy(v => "v" + v).Select(g => (Item: g.Key, Count: (long)g.Count()))
                .OrderByDescending(e => e.Count).ThenBy(e => e.Item, StringComparer.Ordinal).Take(k).ToArray();
            return top.Top().SequenceEqual(expected);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(50));
    }

    [Test]
    public void Top_k_finds_heavy_hitters_among_more_distinct_items_than_its_capacity()
    {
        var top = new TopKItems(3);
        var rng = new Random(4);
        for (var i = 0; i < 60_000; i++)
        {
            top.Add(i % 10 == 0 ? "hot-a" : i % 10 == 1 ? "hot-b" : i % 25 == 2 ? "hot-c" : "cold-" + rng.Next(1_000_000));
        }

        var result = top.Top();
        Assert.That(result.Select(r => r.Item), Is.EqualTo(new[] { "hot-a", "hot-b", "hot-c" }));
        Assert.That(result[0].Count, Is.GreaterThanOrEqualTo(6000));

        var restored = RoundTrip(top.Save, TopKItems.Load);
        Assert.That(restored.Top(), Is.EqualTo(result));
        top.Reset();
        top.Add("x");
        Assert.That(top.Top(), Is.EqualTo(new[] { ("x", 1L) }));
    }

    [Test]
    public void Top_k_rejects_k_outside_one_to_one_hundred_thousand()
    {
        Assert.Throws<ArgumentException>(() => _ = new TopKItems(0));
        Assert.Throws<ArgumentException>(() => _ = new TopKItems(100_001));
    }

    [Test]
    public void Hotspots_reports_a_dense_cluster_with_its_bounds()
    {
        var h = new Hotspots(windowSize: 200, scanRadius: 0.5, minimumNumberOfPointsInAHotspot: 10);
        var rng = new Random(9);
        string result = "";
        for (var i = 0; i < 400; i++)
        {
            double[] p = i % 4 == 0
                ? [5 + (rng.NextDouble() * 0.4), 5 + (rng.NextDouble() * 0.4)]
                : [rng.NextDouble() * 100, rng.NextDouble() * 100];
            result = h.Update(p);
        }

        using var json = JsonDocument.Parse(result);
        var spots = json.RootElement.GetProperty("hotspots");
        Assert.That(spots.GetArrayLength(), Is.EqualTo(1), result);
        var spot = spots[0];
        Assert.That(spot.GetProperty("density").GetDouble(), Is.GreaterThan(100));
        Assert.That(spot.GetProperty("minValues")[0].GetDouble(), Is.InRange(5.0, 5.4));
        Assert.That(spot.GetProperty("maxValues")[1].GetDouble(), Is.InRange(5.0, 5.4));

        var restored = RoundTrip(h.Save, Hotspots.Load);
        Assert.That(restored.Update([5.2, 5.2]), Is.EqualTo(h.Update([5.2, 5.2])));
    }

    [Test]
    public void Hotspots_forgets_points_that_leave_the_window()
    {
        var h = new Hotspots(windowSize: 100, scanRadius: 1, minimumNumberOfPointsInAHotspot: 5);
        for (var i = 0; i < 20; i++)
        {
            h.Update([0.01 * i, 0]);
        }

        Assert.That(h.Update([0, 0.01]), Does.Contain("density"));
        string last = "";
        for (var i = 0; i < 100; i++)
        {
            last = h.Update([i * 10.0, 1000]);
        }

        Assert.That(last, Is.EqualTo("{\"hotspots\":[]}"));
    }

    [Test]
    public void Hotspots_rejects_parameters_outside_their_ranges()
    {
        Assert.Throws<ArgumentException>(() => _ = new Hotspots(99, 1, 5));
        Assert.Throws<ArgumentException>(() => _ = new Hotspots(100, 0, 5));
        Assert.Throws<ArgumentException>(() => _ = new Hotspots(100, 1, 1));
    }
}
