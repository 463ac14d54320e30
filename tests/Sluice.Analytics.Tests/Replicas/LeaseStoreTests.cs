using NUnit.Framework;
using Sluice.Analytics.Storage;

namespace Sluice.Analytics.Tests.Replicas;

/// <summary>The application lease in the store: taken only when free or expired, its counter a fencing token that checkpoint saves must match; SQLite and PostgreSQL.</summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
public sealed class LeaseStoreTests(string storage)
{
    private IAnalyticsStore _store = null!;

    [SetUp]
    public async Task CreateAsync()
    {
        var settings = await TestStorage.CreateAsync(storage);
        _store = storage == TestStorage.Postgres ? new PostgresAnalyticsStore(settings.Postgres!) : new SqliteAnalyticsStore(settings.DataDir);
        await _store.InitializeAsync(CancellationToken.None);
        Assert.That(await _store.CreateApplicationAsync("app", "{}", CancellationToken.None), Is.True);
    }

    [TearDown]
    public void Dispose() => (_store as IDisposable)?.Dispose();

    private Task<byte[]?> CheckpointAsync() => _store.LoadCheckpointAsync("app", CancellationToken.None);

    [Test]
    public async Task A_stale_fencing_token_cannot_save_a_checkpoint()
    {
        const long now = 1_000_000;
        var first = await _store.TakeLeaseAsync("app", "replica-a", now, now + 1000, CancellationToken.None);
        Assert.That(first, Is.Not.Null);
        Assert.That(await _store.SaveCheckpointAsync("app", [1], first!, CancellationToken.None), Is.True);

        Assert.That(await _store.TakeLeaseAsync("app", "replica-b", now + 999, now + 2000, CancellationToken.None), Is.Null, "held and not expired");
        var second = await _store.TakeLeaseAsync("app", "replica-b", now + 1000, now + 11_000, CancellationToken.None);
        Assert.That(second, Is.Not.Null, "expired: taken over");
        Assert.That(second!.Counter, Is.GreaterThan(first!.Counter));

        Assert.That(await _store.SaveCheckpointAsync("app", [2], first, CancellationToken.None), Is.False, "the old owner is fenced off");
        Assert.That(await CheckpointAsync(), Is.EqualTo(new byte[] { 1 }));
        Assert.That(await _store.RenewLeaseAsync(first, now + 5000, CancellationToken.None), Is.Null, "nor can it renew");

        Assert.That(await _store.SaveCheckpointAsync("app", [3], second, CancellationToken.None), Is.True);
        Assert.That(await CheckpointAsync(), Is.EqualTo(new byte[] { 3 }));
    }

    [Test]
    public async Task The_same_owner_taking_again_gets_a_new_token_that_fences_its_own_older_run()
    {
        const long now = 1_000_000;
        var first = await _store.TakeLeaseAsync("app", "replica-a", now, now + 10_000, CancellationToken.None);
        var again = await _store.TakeLeaseAsync("app", "replica-a", now + 1, now + 10_000, CancellationToken.None);
        Assert.That(again!.Counter, Is.GreaterThan(first!.Counter));
        Assert.That(await _store.SaveCheckpointAsync("app", [1], first, CancellationToken.None), Is.False);
        Assert.That(await _store.SaveCheckpointAsync("app", [2], again, CancellationToken.None), Is.True);
    }

    [Test]
    public async Task A_released_lease_can_be_taken_at_once_and_fences_the_releaser()
    {
        const long now = 1_000_000;
        var first = await _store.TakeLeaseAsync("app", "replica-a", now, now + 10_000, CancellationToken.None);
        var renewed = await _store.RenewLeaseAsync(first!, now + 20_000, CancellationToken.None);
        Assert.That(renewed, Is.Not.Null);
        Assert.That(renewed!.ExpiresMs, Is.EqualTo(now + 20_000));
        await _store.ReleaseLeaseAsync(renewed, CancellationToken.None);
        Assert.That(await _store.SaveCheckpointAsync("app", [1], renewed, CancellationToken.None), Is.False);
        var taken = await _store.TakeLeaseAsync("app", "replica-b", now + 1, now + 10_000, CancellationToken.None);
        Assert.That(taken, Is.Not.Null, "free before its expiry");
        Assert.That(taken!.Owner, Is.EqualTo("replica-b"));
    }

    [Test]
    public async Task An_application_change_is_a_compare_and_set_on_the_stored_document()
    {
        Assert.That(await _store.CreateApplicationAsync("app", "{\"v\":0}", CancellationToken.None), Is.False, "exists already");
        Assert.That(await _store.ReplaceApplicationAsync("app", "{}", "{\"v\":1}", CancellationToken.None), Is.True);
        Assert.That(await _store.ReplaceApplicationAsync("app", "{}", "{\"v\":2}", CancellationToken.None), Is.False, "based on a stale read");
        Assert.That(await _store.LoadApplicationAsync("app", CancellationToken.None), Is.EqualTo("{\"v\":1}"));
    }

    [Test]
    public async Task Runners_count_as_alive_until_their_heartbeat_expires()
    {
        const long now = 1_000_000;
        Assert.That(await _store.HeartbeatAsync("replica-a", now, now + 10_000, CancellationToken.None), Is.EqualTo(1));
        Assert.That(await _store.HeartbeatAsync("replica-b", now, now + 10_000, CancellationToken.None), Is.EqualTo(2));
        Assert.That(await _store.HeartbeatAsync("replica-b", now + 10_000, now + 20_000, CancellationToken.None), Is.EqualTo(1), "a has gone quiet");
    }
}
