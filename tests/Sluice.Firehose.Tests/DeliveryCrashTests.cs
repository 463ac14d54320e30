using System.Text;
using NUnit.Framework;

namespace Sluice.Firehose.Tests;

/// <summary>Exactly once across crashes: a `sluice up` process killed with SIGKILL mid-delivery and restarted on the same data dir.</summary>
[TestFixture]
[NonParallelizable]
public sealed class DeliveryCrashTests
{
    private const string Bucket = "crash";
    private const string KillHook = "SLUICE_FIREHOSE_TEST_KILL_AFTER_CUTS";

    [Test]
    public async Task Every_acknowledged_record_is_in_S3_exactly_once_after_kill_9_and_restart()
    {
        await using var s3 = await S3Server.StartAsync();
        await s3.CreateBucketAsync(Bucket);
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", S3Server.AccessKey);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", S3Server.SecretKey);
        var dataDir = Path.Combine(Path.GetTempPath(), "sluice-fh-crash-" + Guid.NewGuid().ToString("N")[..12]);
        const string name = "crashy";
        const string prefix = "crash/";

        // 1. The process kills itself right after the first cut's objects are written, before its checkpoint.
        HostProcess host;
        Environment.SetEnvironmentVariable(KillHook, "1");
        try
        {
            host = await HostProcess.StartAsync(dataDir, "--s3-endpoint", s3.Endpoint);
        }
        finally
        {
            Environment.SetEnvironmentVariable(KillHook, null);
        }

        using (host)
        {
            var put = await Put(host.Endpoint, name, 0, 2000, create: true);
            Assert.That(put, Does.Contain("acknowledged 2000"));
            await WaitForExitAsync(host);
        }

        var written = await s3.ListKeysAsync(Bucket, prefix);
        Assert.That(written, Is.Not.Empty, "the first cut's objects were written before the kill");

        // 2. Restarted: the journal's open range is re-cut into the same objects (overwritten, not duplicated).
        using (var restarted = await HostProcess.StartAsync(dataDir, "--s3-endpoint", s3.Endpoint))
        {
            await WaitForExactlyOnceAsync(s3, prefix, 2000, restarted.Endpoint, name, 2000);
            Assert.That(await s3.ListKeysAsync(Bucket, prefix), Is.SupersetOf(written), "the re-cut reused the keys written before the crash");

            // 3. A buffer is open (interval 5 s) when the process is killed outright.
            Assert.That(await Put(restarted.Endpoint, name, 2000, 2000), Does.Contain("acknowledged 2000"));
            restarted.KillHard();
        }

        using (var again = await HostProcess.StartAsync(dataDir, "--s3-endpoint", s3.Endpoint))
        {
            await WaitForExactlyOnceAsync(s3, prefix, 4000, again.Endpoint, name, 2000);
        }
    }

    private static Task<string> Put(string endpoint, string name, int first, int count, bool create = false)
    {
        var args = new List<string> { Path.Combine(ClientScripts.Dir, "firehose_put.py"), endpoint, name, first.ToString(System.Globalization.CultureInfo.InvariantCulture), count.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (create) args.AddRange(["--create", "arn:aws:s3:::" + Bucket, "crash/", "5"]);
        return ClientScripts.RunAsync(ClientScripts.Python, args, timeout: TimeSpan.FromMinutes(1));
    }

    private static async Task WaitForExitAsync(HostProcess host)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(1) };
        for (var i = 0; i < 300; i++)
        {
            try
            {
                await http.GetAsync(host.Endpoint + "/health");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                host.KillHard();
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail("the kill hook did not fire within 30 s");
    }

    /// <summary>
    /// Waits until the restarted process has itself delivered <paramref name="redelivered"/> records (its metrics say so) and
    /// every record 0..count-1 is in the bucket, then checks that none is there twice.
    /// </summary>
    private static async Task WaitForExactlyOnceAsync(S3Server s3, string prefix, int count, string endpoint, string name, long redelivered)
    {
        using var http = new HttpClient();
        for (var i = 0; i < 120; i++)
        {
            var lines = await ReadAllAsync(s3, prefix);
            if (lines.Distinct().Count() >= count && await DeliveredAsync(http, endpoint, name) >= redelivered)
            {
                lines = await ReadAllAsync(s3, prefix);
                Assert.That(lines, Has.Count.EqualTo(count), "no record is delivered twice");
                Assert.That(lines.Order(StringComparer.Ordinal), Is.EqualTo(Enumerable.Range(0, count).Select(n => $"rec-{n}").Order(StringComparer.Ordinal)));
                return;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"{count} records were not delivered within 60 s");
    }

    private static async Task<long> DeliveredAsync(HttpClient http, string endpoint, string name)
    {
        using var reply = await http.GetAsync($"{endpoint}/firehose/v1/delivery-streams/{name}/metrics");
        if (!reply.IsSuccessStatusCode) return 0;
        using var json = System.Text.Json.JsonDocument.Parse(await reply.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("DeliveryToS3.Records").GetInt64();
    }

    private static async Task<List<string>> ReadAllAsync(S3Server s3, string prefix)
    {
        var lines = new List<string>();
        foreach (var key in await s3.ListKeysAsync(Bucket, prefix))
        {
            lines.AddRange(Encoding.UTF8.GetString(await s3.GetBytesAsync(Bucket, key)).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        return lines;
    }
}
