using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Alerts.Tests;

/// <summary>A helper server from tests/clients (webhook receiver, SMTP sink) running until disposed; stopped by its PID.</summary>
public sealed class BackgroundScript : IDisposable
{
    private readonly Process _process;

    private BackgroundScript(Process process, string output, int port)
    {
        _process = process;
        Output = output;
        Port = port;
    }

    /// <summary>The JSON-lines file the script appends to.</summary>
    public string Output { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public static async Task<BackgroundScript> StartAsync(string python, string script, int? port = null, string? output = null, params string[] extra)
    {
        var p = port ?? TestStorage.FreePort();
        output ??= Path.Combine(Path.GetTempPath(), $"sluice-alerts-{Guid.NewGuid():N}.jsonl");
        var info = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ClientScripts.Dir };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(p.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(output);
        foreach (var a in extra) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        var errors = process.StandardError.ReadToEndAsync();
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
        if (line != "ready")
        {
            if (!process.HasExited) process.Kill();
            Assert.Fail($"{script} did not start: {line} {await errors}");
        }

        return new BackgroundScript(process, output, p);
    }

    /// <summary>Every line written so far, parsed.</summary>
    public List<JsonObject> Entries() =>
        File.Exists(Output) ? File.ReadAllLines(Output).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList() : [];

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(5000);
        _process.Dispose();
    }
}

/// <summary>The Alerts REST API and result-row producers, as a test drives them.</summary>
public sealed class AlertsClient(string endpoint) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = new Uri(endpoint + "/"), Timeout = TimeSpan.FromSeconds(30) };

    public string Endpoint => endpoint;

    public async Task<(int Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, "alerts/v1/" + path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, contentType);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public async Task<JsonNode> OkAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        var (status, json) = await SendAsync(method, path, body, contentType);
        Assert.That(status, Is.InRange(200, 299), $"{method} {path}: {json}");
        return json ?? new JsonObject();
    }

    public Task<JsonNode> PutRuleAsync(object rule) => OkAsync(HttpMethod.Post, "rules", JsonSerializer.Serialize(rule));

    public Task<JsonNode> PutLimitsCsvAsync(string table, string csv) => OkAsync(HttpMethod.Put, "limits/" + table, csv, "text/csv");

    public async Task<List<JsonNode>> AlertsAsync(string? state = null) =>
        [.. (await OkAsync(HttpMethod.Get, "alerts" + (state is null ? "" : "?state=" + state)))["alerts"]!.AsArray().Select(a => a!)];

    /// <summary>Puts analytics result rows into a stream with boto3 (creating it with <paramref name="createShards"/> shards when > 0).</summary>
    public Task PutRowsAsync(string stream, IEnumerable<object> rows, int createShards = 0) =>
        ClientScripts.RunAsync(ClientScripts.Python, ["alerts_put.py", endpoint, stream], stdin: JsonSerializer.Serialize(new { create = createShards, rows }), timeout: TimeSpan.FromMinutes(1));

    public void Dispose() => _http.Dispose();

    /// <summary>Polls <paramref name="check"/> (every 100 ms, at most <paramref name="seconds"/>) until it holds; fails with <paramref name="what"/>.</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> check, string what, int seconds = 30)
    {
        for (var i = 0; i < seconds * 10; i++)
        {
            if (await check()) return;
            await Task.Delay(100);
        }

        Assert.Fail($"timed out after {seconds}s waiting for: {what}");
    }

    public static string KdaTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
}

/// <summary>The seeds' three rules as the tests create them through the API; only streams and notifiers vary.</summary>
public static class SeedRules
{
    /// <summary>Monthly running total of the billing app's TOTAL_DUE per customer against the monthly-limits table.</summary>
    public static object Billing(string stream, params object[] notify) => new
    {
        name = "billing-over-limit",
        stream,
        type = "accumulate",
        key = "CUSTOMER_ID",
        sum = "TOTAL_DUE",
        reset = "month",
        timeField = "WINDOW_START",
        limits = "monthly-limits",
        groupBy = new[] { "CUSTOMER_ID" },
        groupWait = "0s",
        repeatInterval = "31d",
        notify,
    };

    /// <summary>Vehicles per booth per 30-minute window below the booth's threshold (booth-thresholds table), zero included.</summary>
    public static object BoothLowTraffic(string stream, string? delay, params object[] notify) => new
    {
        name = "booth-low-traffic",
        stream,
        type = "absence",
        key = "BOOTH_ID",
        count = "VEHICLES",
        window = "30m",
        delay,
        timeField = "WINDOW_START",
        limits = "booth-thresholds",
        groupBy = new[] { "BOOTH_ID" },
        groupWait = "0s",
        groupInterval = "1s",
        notify,
    };

    /// <summary>An anomaly score over <paramref name="threshold"/> per sensor.</summary>
    public static object TemperatureAnomaly(string stream, double threshold, params object[] notify) => new
    {
        name = "temperature-anomaly",
        stream,
        type = "anomaly",
        key = "SENSOR_ID",
        score = "ANOMALY_SCORE",
        threshold,
        severity = "warning",
        groupBy = new[] { "SENSOR_ID" },
        groupWait = "0s",
        notify,
    };
}
