using NUnit.Framework;
using Sluice.Alerts.Rules;
using Sluice.Alerts.Storage;

namespace Sluice.Alerts.Tests;

/// <summary>Which windows an absence rule evaluates, driven straight against the store with explicit times.</summary>
public sealed class AbsenceWindowTests
{
    private sealed class NoLimits : ILimitLookup
    {
        public bool TryGet(string table, string key, out double limit)
        {
            limit = 0;
            return false;
        }
    }

    private static long At(string time) => new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero).Add(TimeSpan.Parse(time, System.Globalization.CultureInfo.InvariantCulture)).ToUnixTimeMilliseconds();

    [Test]
    public async Task A_rule_first_seen_inside_the_previous_windows_delay_starts_with_the_window_it_appeared_in()
    {
        var settings = await TestStorage.CreateAsync(TestStorage.Sqlite);
        await using var db = new AlertsDatabase(settings);
        await db.InitializeAsync(CancellationToken.None);
        var store = new AlertsStore(db);
        var rule = CompiledRule.Compile(new RuleDefinition { Name = "quiet", Stream = "s", Type = "absence", Key = "B", Window = "30m", Delay = "1m", Threshold = 1 });
        string[] booths = ["B07", "B12"];

        // Created at 08:00:05: 07:30–08:00 is still inside its 1-minute delay, but the rule saw none of its records.
        Assert.That(await store.EvaluateWindowsAsync(rule, new NoLimits(), booths, At("08:00:05"), CancellationToken.None), Is.False);
        Assert.That(await store.EvaluateWindowsAsync(rule, new NoLimits(), booths, At("08:00:59"), CancellationToken.None), Is.False);
        Assert.That(await store.EvaluateWindowsAsync(rule, new NoLimits(), booths, At("08:30:30"), CancellationToken.None), Is.False, "08:00–08:30 waits for its delay");
        Assert.That(await store.AlertsAsync(null, null, CancellationToken.None), Is.Empty, "07:30–08:00 was never evaluated");

        Assert.That(await store.EvaluateWindowsAsync(rule, new NoLimits(), booths, At("08:31:01"), CancellationToken.None), Is.True);
        var firing = await store.AlertsAsync("firing", null, CancellationToken.None);
        Assert.That(firing.Select(a => (a.Labels["B"], a.Annotations["windowStart"])).Order(), Is.EqualTo(new[]
        {
            ("B07", "2026-12-01T08:00:00.0000000+00:00"), ("B12", "2026-12-01T08:00:00.0000000+00:00"),
        }));
    }
}
