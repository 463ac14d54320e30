using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sluice.Cli;
using Sluice.Hosting;
using Sluice.Streams.Client;

namespace Sluice.AlertsBench;

/// <summary>
/// End-to-end latency in the all-in-one host: from PutRecords returning (the result record is committed) to the webhook
/// receiving the alert it raised (group wait 0s: each record opens its own group).
/// </summary>
internal static class LatencyBench
{
    public static async Task RunAsync(int count)
    {
        var settings = new SluiceSettings { Port = 0, TlsPort = -1, GrpcPort = 0, RequireSignature = false, DataDir = Path.Combine(Path.GetTempPath(), "sluice-alertsbench-" + Guid.NewGuid().ToString("N")) };
        var builder = SluiceHost.CreateBuilder(settings);
        builder.Services.AddSluiceAllInOne();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        await using var host = builder.Build();
        host.MapSluiceAllInOne();
        await host.StartAsync();
        var endpoint = Address(host);

        var arrivals = new ConcurrentDictionary<string, long>();
        var receiverBuilder = WebApplication.CreateSlimBuilder();
        receiverBuilder.WebHost.UseUrls("http://127.0.0.1:0");
        receiverBuilder.Logging.ClearProviders();
        await using var receiver = receiverBuilder.Build();
        receiver.MapPost("/hook", async (HttpRequest request) =>
        {
            var now = Stopwatch.GetTimestamp();
            using var doc = await JsonDocument.ParseAsync(request.Body);
            foreach (var alert in doc.RootElement.GetProperty("alerts").EnumerateArray()) arrivals.TryAdd(alert.GetProperty("labels").GetProperty("ID").GetString()!, now);
            return Results.Ok();
        });
        await receiver.StartAsync();
        var hook = Address(receiver) + "/hook";

        using var http = new HttpClient { BaseAddress = new Uri(endpoint + "/") };
        using (var create = new StringContent("""{"StreamName":"latency","ShardCount":1}""", Encoding.UTF8, "application/x-amz-json-1.1"))
        {
            create.Headers.Add("X-Amz-Target", "Kinesis_20131202.CreateStream");
            (await http.PostAsync("", create)).EnsureSuccessStatusCode();
        }

        var rule = new
        {
            name = "latency",
            stream = "latency",
            type = "threshold",
            key = "ID",
            where = new[] { new { field = "V", op = "gt", value = "0" } },
            groupBy = new[] { "ID" },
            groupWait = "0s",
            notify = new[] { new { type = "webhook", url = hook } },
        };
        (await http.PostAsJsonAsync("alerts/v1/rules", rule)).EnsureSuccessStatusCode();

        using var streams = new StreamsClient(host.Services.GetRequiredService<StreamsGrpcAddress>().Resolve());
        async Task<long> PutAsync(string id)
        {
            await streams.PutRecordsAsync("latency", [(id, (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes($$"""{"ID":"{{id}}","V":1}"""))]);
            return Stopwatch.GetTimestamp();
        }

        // Warm up until the consumer holds the shard and the path is JIT-compiled.
        for (var i = 0; i < 600 && arrivals.IsEmpty; i++)
        {
            if (i % 20 == 0) await PutAsync("warm-" + i);
            await Task.Delay(50);
        }

        for (var i = 0; i < 50; i++)
        {
            await PutAsync("warm2-" + i);
            await Task.Delay(10);
        }

        var committed = new Dictionary<string, long>();
        for (var i = 0; i < count; i++)
        {
            var id = "r-" + i;
            committed[id] = await PutAsync(id);
            await Task.Delay(20);
        }

        for (var i = 0; i < 200 && committed.Keys.Any(k => !arrivals.ContainsKey(k)); i++) await Task.Delay(50);
        var latencies = committed.Where(c => arrivals.ContainsKey(c.Key)).Select(c => Math.Max(0, Stopwatch.GetElapsedTime(c.Value, arrivals[c.Key]).TotalMilliseconds)).Order().ToArray();
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        Console.WriteLine($"end-to-end: {latencies.Length}/{count} alerts delivered; commit → webhook p50 {P(0.50):F1} ms, p90 {P(0.90):F1} ms, p99 {P(0.99):F1} ms, max {latencies[^1]:F1} ms (group wait 0s, SQLite)");
        await receiver.StopAsync();
        await host.StopAsync();
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal)).Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
}
