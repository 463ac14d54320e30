using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using NUnit.Framework;
using Sluice.Analytics.Sql.Functions;
using Sluice.Analytics.Sql.Functions.Streaming;

namespace Sluice.Analytics.Tests.Functions;

public sealed class RandomCutForestTests
{
    private static double[][] GaussianStream(int n, int seed, int dims = 2)
    {
        var rng = new Random(seed);
        var points = new double[n][];
        for (var i = 0; i < n; i++)
        {
            points[i] = new double[dims];
            for (var d = 0; d < dims; d++)
            {
                // Box-Muller
                points[i][d] = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            }
        }

        return points;
    }

    [Test]
    public void Injected_outliers_in_a_gaussian_stream_get_the_highest_scores()
    {
        var points = GaussianStream(3000, 7);
        int[] outliers = [1200, 1700, 2300, 2900];
        points[1200] = [8, 8];
        points[1700] = [-9, 1];
        points[2300] = [0, 10];
        points[2900] = [7, -7];
        var forest = new RandomCutForest(2, numberOfTrees: 50, subSampleSize: 256, seed: 3);
        var scores = points.Select(p => forest.ScoreAndUpdate(p)).ToArray();

        var top = Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i]).Take(outliers.Length).Order().ToArray();
        Assert.That(top, Is.EqualTo(outliers));
        var typical = scores.Skip(300).Where((_, i) => !outliers.Contains(i + 300)).Average();
        Assert.That(scores[1200], Is.GreaterThan(2 * typical));
    }

    [Test]
    public void Scores_are_zero_until_sub_sample_size_points_have_been_seen()
    {
        var forest = new RandomCutForest(2, numberOfTrees: 10, subSampleSize: 20, timeDecay: 1000);
        var points = GaussianStream(40, 1);
        for (var i = 0; i < 20; i++)
        {
            Assert.That(forest.ScoreAndUpdate(points[i]), Is.Zero, $"point {i}");
        }

        Assert.That(forest.ScoreAndUpdate(points[20]), Is.GreaterThan(0));
    }

    [Test]
    public void Shingled_forest_scores_a_break_in_a_periodic_series()
    {
        var forest = new RandomCutForest(1, numberOfTrees: 50, subSampleSize: 128, timeDecay: 10000, shingleSize: 4, seed: 5);
        var scores = new double[1500];
        for (var i = 0; i < scores.Length; i++)
        {
            var v = Math.Sin(i * 2 * Math.PI / 20);
            if (i == 1005)
            {
                v = -v; // a level the series reaches anyway, but at the wrong phase
            }

            scores[i] = forest.ScoreAndUpdate([v]);
        }

        Assert.That(Enumerable.Range(500, 1000).MaxBy(i => scores[i]), Is.InRange(1005, 1008));
    }

    [Test]
    public void Scores_are_non_negative_and_deterministic_for_a_seed()
    {
        Prop.ForAll(Gen.Choose(1, 1000).ToArbitrary(), seed =>
        {
            var points = GaussianStream(120, seed, 3);
            var a = new RandomCutForest(3, numberOfTrees: 5, subSampleSize: 16, timeDecay: 64, seed: seed);
            var b = new RandomCutForest(3, numberOfTrees: 5, subSampleSize: 16, timeDecay: 64, seed: seed);
            var sa = points.Select(p => a.ScoreAndUpdate(p)).ToArray();
            var sb = points.Select(p => b.ScoreAndUpdate(p)).ToArray();
            return sa.All(s => s >= 0 && double.IsFinite(s)) && sa.SequenceEqual(sb);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(30));
    }

    [Test]
    public void Save_and_load_give_identical_subsequent_scores()
    {
        Prop.ForAll(Gen.Choose(1, 1000).ToArbitrary(), Gen.Choose(1, 200).ToArbitrary(), (seed, cut) =>
        {
            var points = GaussianStream(250, seed, 2);
            var forest = new RandomCutForest(2, numberOfTrees: 4, subSampleSize: 16, timeDecay: 50, shingleSize: 2, seed: seed);
            foreach (var p in points.Take(cut))
            {
                forest.Update(p);
            }

            using var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                forest.Save(w);
            }

            ms.Position = 0;
            using var r = new BinaryReader(ms);
            var restored = RandomCutForest.Load(r);
            return points.Skip(cut).All(p => forest.ScoreAndUpdate(p) == restored.ScoreAndUpdate(p))
                && Bytes(forest).AsSpan().SequenceEqual(Bytes(restored));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(25));
    }

    private static byte[] Bytes(RandomCutForest forest)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            forest.Save(w);
        }

        return ms.ToArray();
    }

    [Test]
    public void Attribution_sums_to_the_score_and_points_at_the_outlying_column()
    {
        var forest = new RandomCutForest(2, numberOfTrees: 30, subSampleSize: 64, timeDecay: 1000, seed: 11);
        foreach (var p in GaussianStream(400, 2))
        {
            forest.Update(p);
        }

        double[] outlier = [0.1, 9];
        var attribution = forest.Explain(outlier);
        Assert.That(attribution.High.Sum() + attribution.Low.Sum(), Is.EqualTo(attribution.Score).Within(1e-9));
        Assert.That(attribution.Score, Is.EqualTo(forest.Score(outlier)).Within(1e-9));
        Assert.That(attribution.High[1], Is.GreaterThan(attribution.High[0] + attribution.Low[0] + attribution.Low[1]));

        using var json = JsonDocument.Parse(attribution.ToJson(["TEMP_C", "HUMIDITY"], withDirectionality: true));
        var humidity = json.RootElement.GetProperty("HUMIDITY");
        Assert.That(humidity.GetProperty("DIRECTION").GetString(), Is.EqualTo("HIGH"));
        Assert.That(double.Parse(humidity.GetProperty("ATTRIBUTION_SCORE").GetString()!, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(attribution.High[1] + attribution.Low[1]).Within(1e-4));
        Assert.That(json.RootElement.GetProperty("TEMP_C").TryGetProperty("STRENGTH", out _), Is.True);

        using var plain = JsonDocument.Parse(forest.Explain([-9, 0]).ToJson(["TEMP_C", "HUMIDITY"], withDirectionality: false));
        Assert.That(plain.RootElement.GetProperty("TEMP_C").TryGetProperty("DIRECTION", out _), Is.False);
    }

    [Test]
    public void Non_finite_values_are_an_error_row_and_leave_the_forest_unchanged()
    {
        var forest = new RandomCutForest(2, numberOfTrees: 5, subSampleSize: 10, timeDecay: 100, seed: 2);
        Assert.Throws<SqlFunctionException>(() => forest.ScoreAndUpdate([double.NaN, 1]));
        Assert.Throws<SqlFunctionException>(() => forest.Update([1, double.PositiveInfinity]));
        Assert.That(forest.PointsSeen, Is.Zero);
    }

    [TestCase(0, 100, 256, 100000, 1, "1 to 30 numeric columns")]
    [TestCase(2, 0, 256, 100000, 1, "numberOfTrees must be between 1 and 1000")]
    [TestCase(2, 100, 9, 100000, 1, "subSampleSize must be between 10 and 1000")]
    [TestCase(2, 100, 256, 256, 1, "must be less than timeDecay")]
    [TestCase(2, 100, 256, 100000, 31, "shingleSize must be between 1 and 30")]
    public void Parameters_outside_kda_ranges_are_rejected_with_the_rule(int dims, int trees, int sample, int decay, int shingle, string rule)
    {
        var ex = Assert.Throws<ArgumentException>(() => _ = new RandomCutForest(dims, trees, sample, decay, shingle));
        Assert.That(ex!.Message, Does.Contain(rule));
    }
}
