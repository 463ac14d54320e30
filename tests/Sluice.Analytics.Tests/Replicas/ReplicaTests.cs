using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using NUnit.Framework;
using Sluice.Alerts.Alerting;
using Sluice.Analytics.Applications;
using Sluice.Analytics.Tests.EndToEnd;
using Sluice.Analytics.Tests.Sql;
using Sluice.Hosting;

namespace Sluice.Analytics.Tests.Replicas;

/// <summary>Two Analytics replicas over one PostgreSQL: a running application runs on exactly one, and moves to the other when its owner dies, its output exactly once.</summary>
[NonParallelizable]
public sealed class ReplicaTests
{
    private static IEnumerable<string> Heavy(int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            yield return KdaHarness.Toll("C-" + i, "B0" + (i % 3), $"p{i:00000}", "TRUCK", 3 + (i % 2), 5m, "2024-05-01 08:00:00.000");
        }
    }

    private const string Named = "{\"ApplicationName\":\"one\"}";

    /// <summary>Starts a replica and waits until its Alerts worker has set up storage, so the next replica does not race it there.</summary>
    private static async Task<TestServer> StartReplicaAsync(SluiceSettings settings)
    {
        var server = await TestServer.StartAsync(settings);
        await server.Services.GetServices<IHostedService>().OfType<AlertsWorker>().Single().Ready.WaitAsync(TimeSpan.FromSeconds(60));
        return server;
    }

    private static ApplicationRunner Runner(TestServer server)
    {
        var runner = server.Services.GetServices<IHostedService>().OfType<ApplicationRunner>().Single();
        runner.LeaseDuration = TimeSpan.FromSeconds(3);
        runner.LeaseRenewInterval = TimeSpan.FromMilliseconds(500);
        runner.CheckpointInterval = TimeSpan.FromMilliseconds(500);
        return runner;
    }

    private static void AssertEachPlateOnce(List<string> output, int count)
    {
        var plates = output.Select(o => JsonDocument.Parse(o).RootElement.GetProperty("PLATE").GetString()).ToList();
        Assert.That(plates, Has.Count.EqualTo(count), "each input row exactly once");
        Assert.That(plates.Order(StringComparer.Ordinal), Is.EqualTo(Enumerable.Range(0, count).Select(i => $"P{i:00000}")));
    }

    private static async Task<ApplicationRunner> OwnerAsync(string app, params ApplicationRunner[] runners)
    {
        for (var i = 0; i < 600; i++)
        {
            var running = runners.Where(r => r.RunOf(app) is not null).ToList();
            if (running.Count == 1) return running[0];
            Assert.That(running, Has.Count.LessThanOrEqualTo(1), "never on two replicas at once");
            await Task.Delay(100);
        }

        Assert.Fail($"{app} did not start on any replica");
        return null!;
    }

    [Test]
    public async Task An_application_started_through_either_replica_runs_on_exactly_one_and_writes_each_row_once()
    {
        var first = await TestStorage.CreateAsync(TestStorage.Postgres);
        var second = new SluiceSettings { DataDir = first.DataDir + "-b", Storage = StorageKind.Postgres, Postgres = first.Postgres };
        await using var a = await StartReplicaAsync(first);
        await using var b = await StartReplicaAsync(second);
        var runners = new[] { Runner(a), Runner(b) };
        using var kdaA = new KdaHarness(a.Endpoint);
        using var kdaB = new KdaHarness(b.Endpoint);

        await kdaA.CreateStreamAsync("one-in", shards: 2);
        await kdaA.CreateStreamAsync("one-out");
        await kdaA.CreateApplicationAsync(KdaHarness.Spec("one", ExampleApplicationsTests.HeavyVehicles, KdaHarness.TollInput("one-in"),
            KdaHarness.StreamOutput("HEAVY_VEHICLES", "one-out")));
        await kdaB.Boto3Async("start", "one", "TRIM_HORIZON"); // created through a, started through b

        var owner = await OwnerAsync("one", runners);
        var other = runners.Single(r => r != owner);
        await kdaB.PutAsync("one-in", Heavy(0, 2000));
        var output = await kdaA.WaitForOutputAsync("one-out", 2000, TimeSpan.FromSeconds(120));
        AssertEachPlateOnce(output, 2000);
        Assert.That(owner.RunOf("one"), Is.Not.Null, "still running on its owner");
        Assert.That(other.RunOf("one"), Is.Null, "and not on the other replica");

        var described = await kdaB.Boto3Async("describe", "one");
        Assert.That(described, Does.Contain("RUNNING"), "the status change made by the owner shows on the other replica");

        // Deleted through the replica that does not run it: the owner stops the run and removes the application.
        using var otherApi = new KinesisCaller(owner == runners[0] ? b.Endpoint : a.Endpoint);
        using var ownerApi = new KinesisCaller(owner == runners[0] ? a.Endpoint : b.Endpoint);
        var detail = (await otherApi.SendAsync("DescribeApplication", Named, target: AnalyticsService.TargetPrefix)).Json["ApplicationDetail"]!;
        var deleted = await otherApi.SendAsync("DeleteApplication", JsonSerializer.Serialize(new { ApplicationName = "one", CreateTimestamp = (double)detail["CreateTimestamp"]! }),
            target: AnalyticsService.TargetPrefix);
        Assert.That(deleted.Status, Is.EqualTo(200), deleted.Text);
        async Task<bool> ListedAsync(KinesisCaller api) => (await api.SendAsync("DescribeApplication", Named, target: AnalyticsService.TargetPrefix)).Status == 200;

        // The other replica sees the removal at its next refresh of the shared catalog.
        for (var i = 0; i < 300 && (owner.RunOf("one") is not null || await ListedAsync(ownerApi) || await ListedAsync(otherApi)); i++) await Task.Delay(100);

        Assert.That(owner.RunOf("one"), Is.Null);
        foreach (var api in new[] { ownerApi, otherApi })
        {
            var gone = await api.SendAsync("DescribeApplication", Named, target: AnalyticsService.TargetPrefix);
            Assert.That(gone.Text, Does.Contain("ResourceNotFoundException"), "gone on both replicas");
        }

        Assert.That(other.RunOf("one"), Is.Null, "the other replica never ran it");
    }

    [Test]
    public async Task When_the_owner_is_killed_the_other_replica_resumes_from_the_checkpoint_without_losing_or_repeating_rows()
    {
        var settings = await TestStorage.CreateAsync(TestStorage.Postgres);
        var host = await HostProcess.StartAsync(settings.DataDir, "--storage", "postgres", "--postgres", settings.Postgres!);
        try
        {
            using (var kda = new KdaHarness(host.Endpoint))
            {
                await kda.CreateStreamAsync("kill-in");
                await kda.CreateStreamAsync("kill-out");
                await kda.CreateApplicationAsync(KdaHarness.Spec("kill", ExampleApplicationsTests.HeavyVehicles, KdaHarness.TollInput("kill-in"),
                    KdaHarness.StreamOutput("HEAVY_VEHICLES", "kill-out")));
                await kda.Boto3Async("start", "kill", "TRIM_HORIZON"); // returns once RUNNING
            }

            // The second replica joins while the process holds the application's lease.
            await using var b = await StartReplicaAsync(new SluiceSettings { DataDir = settings.DataDir + "-b", Storage = StorageKind.Postgres, Postgres = settings.Postgres });
            var runner = Runner(b);
            using var kdaB = new KdaHarness(b.Endpoint);
            await kdaB.PutAsync("kill-in", Heavy(0, 3000));
            for (var i = 0; i < 600 && (await kdaB.ReadAllAsync("kill-out")).Count == 0; i++)
            {
                Assert.That(runner.RunOf("kill"), Is.Null, "the process owns the application while it lives");
                await Task.Delay(50);
            }

            // Killed mid-output: rows are written that the last checkpoint does not cover yet.
            host.KillHard();
            var killed = System.Diagnostics.Stopwatch.StartNew();
            await kdaB.PutAsync("kill-in", Heavy(3000, 2000));
            await OwnerAsync("kill", runner);
            TestContext.Progress.WriteLine($"kill -9 → running on the other replica after {killed.Elapsed.TotalSeconds:0.0} s (lease 10 s)");
            var output = await kdaB.WaitForOutputAsync("kill-out", 5000, TimeSpan.FromSeconds(120));
            AssertEachPlateOnce(output, 5000);
        }
        finally
        {
            host.Dispose();
        }
    }

    [Test]
    public async Task A_replica_that_stops_cleanly_hands_its_application_over_at_once_and_the_stop_status_change_happens_once()
    {
        var first = await TestStorage.CreateAsync(TestStorage.Postgres);
        var a = await StartReplicaAsync(first);
        try
        {
            var runnerA = Runner(a);

            // A long lease: only its release (not its expiry) can hand the application over within the wait below.
            runnerA.LeaseDuration = TimeSpan.FromMinutes(5);
            using var kdaA = new KdaHarness(a.Endpoint);
            await kdaA.CreateStreamAsync("hand-in");
            await kdaA.CreateStreamAsync("hand-out");
            await kdaA.CreateApplicationAsync(KdaHarness.Spec("hand", ExampleApplicationsTests.HeavyVehicles, KdaHarness.TollInput("hand-in"),
                KdaHarness.StreamOutput("HEAVY_VEHICLES", "hand-out")));
            await kdaA.Boto3Async("start", "hand", "TRIM_HORIZON");
            await OwnerAsync("hand", runnerA);
            await kdaA.PutAsync("hand-in", Heavy(0, 1000));
            await kdaA.WaitForOutputAsync("hand-out", 1000, TimeSpan.FromSeconds(120));
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }

        await using var b = await StartReplicaAsync(new SluiceSettings { DataDir = first.DataDir + "-b", Storage = StorageKind.Postgres, Postgres = first.Postgres });
        var runnerB = Runner(b);
        using var kdaB = new KdaHarness(b.Endpoint);
        Assert.That(runnerB.RunOf("hand"), Is.Null);

        // a goes away cleanly: its checkpoint is saved and its lease released, so b takes over without waiting for expiry.
        var stopped = System.Diagnostics.Stopwatch.StartNew();
        await a.DisposeAsync();
        await OwnerAsync("hand", runnerB);
        TestContext.Progress.WriteLine($"clean stop → running on the other replica after {stopped.Elapsed.TotalSeconds:0.0} s (lease 5 min)");
        await kdaB.PutAsync("hand-in", Heavy(1000, 1000));
        AssertEachPlateOnce(await kdaB.WaitForOutputAsync("hand-out", 2000, TimeSpan.FromSeconds(120)), 2000);

        await kdaB.Boto3Async("stop", "hand"); // returns once READY
        Assert.That(await kdaB.Boto3Async("describe", "hand"), Does.Contain("READY"));
        Assert.That(runnerB.RunOf("hand"), Is.Null);
    }

    [Test]
    public async Task A_replica_whose_lease_is_taken_stops_at_once_without_a_checkpoint_and_the_next_owner_writes_each_row_once()
    {
        var first = await TestStorage.CreateAsync(TestStorage.Postgres);
        var second = new SluiceSettings { DataDir = first.DataDir + "-b", Storage = StorageKind.Postgres, Postgres = first.Postgres };
        await using var a = await StartReplicaAsync(first);
        await using var b = await StartReplicaAsync(second);
        var runners = new[] { Runner(a), Runner(b) };
        using var kda = new KdaHarness(a.Endpoint);
        await using var db = NpgsqlDataSource.Create(first.Postgres!);

        await kda.CreateStreamAsync("steal-in");
        await kda.CreateStreamAsync("steal-out");
        await kda.CreateApplicationAsync(KdaHarness.Spec("steal", ExampleApplicationsTests.HeavyVehicles, KdaHarness.TollInput("steal-in"),
            KdaHarness.StreamOutput("HEAVY_VEHICLES", "steal-out")));
        await kda.Boto3Async("start", "steal", "TRIM_HORIZON");
        await OwnerAsync("steal", runners);
        await kda.PutAsync("steal-in", Heavy(0, 1000));
        await kda.WaitForOutputAsync("steal-out", 1000, TimeSpan.FromSeconds(120));

        // A third party (a replica the others cannot see) takes the lease, as after a long pause of the owner.
        await using (var steal = db.CreateCommand("UPDATE sluice_analytics.leases SET owner = 'intruder', counter = counter + 1, expires_ms = $1 WHERE name = 'steal'"))
        {
            steal.Parameters.AddWithValue(DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeMilliseconds());
            Assert.That(await steal.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        async Task<byte[]> CheckpointAsync()
        {
            await using var read = db.CreateCommand("SELECT state FROM sluice_analytics.checkpoints WHERE name = 'steal'");
            return (byte[])(await read.ExecuteScalarAsync())!;
        }

        var before = await CheckpointAsync();
        for (var i = 0; i < 300 && runners.Any(r => r.RunOf("steal") is not null); i++) await Task.Delay(100);
        Assert.That(runners.Select(r => r.RunOf("steal")), Is.All.Null, "the owner stopped once its lease was gone, and nobody else started");
        await kda.PutAsync("steal-in", Heavy(1000, 1000));
        await Task.Delay(1500);
        Assert.That(await CheckpointAsync(), Is.EqualTo(before), "no checkpoint saved after the lease was lost");
        Assert.That((await kda.ReadAllAsync("steal-out")).Count, Is.EqualTo(1000), "nothing written while nobody holds the lease");

        // The intruder goes away: its lease is released and a replica resumes from the last checkpoint.
        await using (var release = db.CreateCommand("UPDATE sluice_analytics.leases SET owner = NULL, counter = counter + 1, expires_ms = 0 WHERE name = 'steal'"))
        {
            await release.ExecuteNonQueryAsync();
        }

        await OwnerAsync("steal", runners);
        AssertEachPlateOnce(await kda.WaitForOutputAsync("steal-out", 2000, TimeSpan.FromSeconds(120)), 2000);
    }
}
