using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using NUnit.Framework;
using Sluice.Streams.Client;

namespace Sluice.Streams.Tests;

/// <summary>
/// A consumer group of two worker processes over a real `sluice up` host: they share the shards, one is killed with
/// kill -9 mid-run, the other takes its shards over from their checkpoints, and across both every record is processed
/// at least once and in order per shard.
/// </summary>
[TestFixture(TestStorage.Sqlite)]
[TestFixture(TestStorage.Postgres)]
[NonParallelizable]
public class ConsumerGroupProcessTests(string storage)
{
    private const string Stream = "orders";
    private const string Group = "billing";
    private const int Shards = 4;
    private const int LeaseMs = 3000;

    private sealed record Line(string ShardId, BigInteger Sequence);

    /// <summary>What a timeout reports: the lease table and the workers' logs.</summary>
    private static Func<string>? Explain { get; set; }

    [Test]
    public async Task The_surviving_worker_takes_over_a_killed_workers_shards_from_their_checkpoints()
    {
        var dir = Path.Combine(Path.GetTempPath(), "sluice-group-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var extra = new List<string> { "--grpc-port", TestStorage.FreePort().ToString(CultureInfo.InvariantCulture) };
        if (storage == TestStorage.Postgres)
        {
            var settings = await TestStorage.UsePostgresAsync(new Hosting.SluiceSettings());
            extra.AddRange(["--storage", "postgres", "--postgres", settings.Postgres!]);
        }

        using var host = await HostProcess.StartAsync(Path.Combine(dir, "data"), [.. extra]);
        var grpc = "http://127.0.0.1:" + extra[1];
        using (var kinesis = new KinesisCaller(host.Endpoint)) await kinesis.OkAsync("CreateStream", new { StreamName = Stream, ShardCount = Shards });
        using var client = new StreamsClient(grpc);
        Explain = () =>
        {
            var leases = client.ListLeasesAsync(Stream, Group).GetAwaiter().GetResult().Leases;
            var logs = Directory.GetFiles(dir, "*.log").Select(f => f + ":\n" + string.Join("\n", File.ReadLines(f).TakeLast(40)));
            return string.Join("\n", leases.Select(l => l.ToString())) + "\n" + string.Join("\n", logs);
        };
        var produced = new Dictionary<string, List<BigInteger>>();

        await ProduceAsync(client, produced, "early", 400);
        using var a = ConsumerProcess.Start(grpc, "worker-a", Path.Combine(dir, "a.txt"));
        await WaitForAsync("worker-a to hold every shard", async () => (await OwnersAsync(client)).Count(o => o == "worker-a") == Shards);
        using var b = ConsumerProcess.Start(grpc, "worker-b", Path.Combine(dir, "b.txt"));
        await WaitForAsync("the two workers to hold two shards each", async () =>
        {
            var owners = await OwnersAsync(client);
            return owners.Count(o => o == "worker-a") == 2 && owners.Count(o => o == "worker-b") == 2;
        });
        await ProduceAsync(client, produced, "shared", 400);
        await WaitForAsync("worker-a to process records while sharing", () => Task.FromResult(Read(a.OutputPath).Count > 0 && Read(b.OutputPath).Count > 0));

        a.KillHard();
        var bLinesAtKill = Read(b.OutputPath).Count;
        var leasesAtKill = (await client.ListLeasesAsync(Stream, Group)).Leases.Where(l => l.Owner == "worker-a").ToList();
        await ProduceAsync(client, produced, "late", 400);
        var everything = produced.Values.Sum(v => v.Count);
        await WaitForAsync("every record to be processed", () => Task.FromResult(Union(a.OutputPath, b.OutputPath).Count == everything), seconds: 90);

        var linesA = Read(a.OutputPath);
        var linesB = Read(b.OutputPath);
        TestContext.Progress.WriteLine($"worker-a processed {linesA.Count}, worker-b {linesB.Count}, produced {everything}");
        Assert.That(leasesAtKill, Has.Count.EqualTo(2), "worker-a held two shards when it was killed");

        // At least once: the union holds every produced record, and nothing that was not produced.
        var union = Union(a.OutputPath, b.OutputPath);
        Assert.That(union, Is.EquivalentTo(produced.SelectMany(p => p.Value.Select(s => new Line(p.Key, s)))));

        // In order per shard, in each worker's output: a record is first handled after its predecessor.
        foreach (var (name, lines) in new[] { ("worker-a", linesA), ("worker-b", linesB) })
        {
            foreach (var shard in produced.Keys)
            {
                var firsts = lines.Where(l => l.ShardId == shard).Select(l => l.Sequence).Distinct().ToList();
                Assert.That(firsts, Is.Ordered, $"{name} handled {shard} out of order");
            }
        }

        // Take-over from the checkpoint: for each of the killed worker's shards, the survivor's first record after the
        // kill is the one right after the checkpoint the killed worker left.
        foreach (var lease in leasesAtKill)
        {
            var records = produced[lease.ShardId];
            var checkpoint = lease.Checkpoint is { SequenceNumber.Length: > 0 } c ? BigInteger.Parse(c.SequenceNumber, CultureInfo.InvariantCulture) : (BigInteger?)null;
            var expectedFirst = checkpoint is null ? records[0] : records.First(s => s > checkpoint);
            var takenOver = linesB.Skip(bLinesAtKill).Where(l => l.ShardId == lease.ShardId).ToList();
            Assert.That(takenOver, Is.Not.Empty, $"worker-b took {lease.ShardId} over");
            Assert.That(takenOver[0].Sequence, Is.EqualTo(expectedFirst), $"worker-b resumed {lease.ShardId} right after worker-a's checkpoint");
            Assert.That(takenOver.Select(l => l.Sequence), Is.EqualTo(records.SkipWhile(s => s < expectedFirst)), $"worker-b handled the rest of {lease.ShardId} once, in order");
        }

        // A clean stop (SIGTERM) releases the survivor's leases at once instead of leaving them to expire.
        Assert.That(b.Stop(), Is.EqualTo(0), "worker-b exits cleanly");
        var after = (await client.ListLeasesAsync(Stream, Group)).Leases;
        Assert.That(after.Select(l => l.Owner), Is.All.Empty);
        Assert.That(after.Select(l => l.Checkpoint?.SequenceNumber), Is.All.Not.Empty, "every shard was checkpointed");
    }

    private static async Task ProduceAsync(StreamsClient client, Dictionary<string, List<BigInteger>> produced, string prefix, int count)
    {
        for (var batch = 0; batch < count / 50; batch++)
        {
            var records = Enumerable.Range(0, 50).Select(i => ($"{prefix}-{batch}-{i}", (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($"{prefix}-{batch}-{i}")));
            var put = await client.PutRecordsAsync(Stream, records);
            Assert.That(put.FailedRecordCount, Is.Zero);
            foreach (var r in put.Records)
            {
                if (!produced.TryGetValue(r.ShardId, out var list)) produced[r.ShardId] = list = [];
                list.Add(BigInteger.Parse(r.SequenceNumber, CultureInfo.InvariantCulture));
            }
        }
    }

    private static async Task<List<string>> OwnersAsync(StreamsClient client) =>
        (await client.ListLeasesAsync(Stream, Group)).Leases.Where(l => l.ExpiresAtMs > DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).Select(l => l.Owner).ToList();

    private static async Task WaitForAsync(string what, Func<Task<bool>> condition, int seconds = 60)
    {
        for (var i = 0; i < seconds * 10; i++)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }

        Assert.Fail($"Timed out after {seconds} s waiting for {what}.\n{Explain?.Invoke()}");
    }

    private static List<Line> Read(string path)
    {
        if (!File.Exists(path)) return [];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var lines = new List<Line>();
        while (reader.ReadLine() is { } line)
        {
            var parts = line.Split(' ');

            // A line cut by the kill is not a processed record.
            if (parts.Length == 2 && BigInteger.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && parts[1].Length >= 50)
            {
                lines.Add(new Line(parts[0], sequence));
            }
        }

        return lines;
    }

    private static HashSet<Line> Union(string a, string b) => [.. Read(a), .. Read(b)];

    /// <summary>One consumer worker process (tests/Sluice.Streams.ConsumerProcess).</summary>
    private sealed class ConsumerProcess : IDisposable
    {
        private readonly Process _process;

        private ConsumerProcess(Process process, string outputPath)
        {
            _process = process;
            OutputPath = outputPath;
        }

        public string OutputPath { get; }

        public static ConsumerProcess Start(string grpc, string worker, string output)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "Sluice.Streams.ConsumerProcess.dll");
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var arg in new[] { dll, "--grpc", grpc, "--stream", Stream, "--group", Group, "--worker", worker, "--out", output, "--lease-ms", LeaseMs.ToString(CultureInfo.InvariantCulture), "--take-ms", "300", "--batch", "25" })
            {
                info.ArgumentList.Add(arg);
            }

            var process = Process.Start(info)!;
            var log = new StreamWriter(output + ".log") { AutoFlush = true };
            void Write(string? line)
            {
                if (line is null) return;
                lock (log) log.WriteLine(line);
            }

            process.OutputDataReceived += (_, e) => Write(e.Data);
            process.ErrorDataReceived += (_, e) => Write(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new ConsumerProcess(process, output);
        }

        /// <summary>SIGKILL: no shutdown code runs, the leases are left to expire.</summary>
        public void KillHard()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        /// <summary>A clean stop (SIGTERM), waited for up to 20 s; returns the exit code (-1 when it had to be killed).</summary>
        public int Stop()
        {
            if (!_process.HasExited)
            {
                using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])) term.WaitForExit(5_000);
                if (!_process.WaitForExit(20_000))
                {
                    KillHard();
                    return -1;
                }
            }

            return _process.ExitCode;
        }

        public void Dispose()
        {
            KillHard();
            _process.Dispose();
        }
    }
}
