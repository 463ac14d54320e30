using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using Sluice.Analytics.Output;

namespace Sluice.Analytics.Tests.Output;

/// <summary>The LambdaOutput writer against a real HTTP function (tests/clients/kda_lambda_output_server.py).</summary>
[NonParallelizable]
public sealed class LambdaOutputWriterTests
{
    private const string AppArn = "arn:aws:kinesisanalytics:us-east-1:000000000000:application/big";

    private ScriptServer _function = null!;
    private HttpClient _http = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _function = await ScriptServer.StartAsync("kda_lambda_output_server.py");
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
    }

    [TearDown]
    public async Task StopAsync()
    {
        _http.Dispose();
        await _function.DisposeAsync();
    }

    [Test]
    public async Task Rows_are_split_into_invocations_under_the_6_MB_payload_limit_and_keep_their_order()
    {
        var writer = new LambdaOutputWriter(_http, _function.Endpoint + "/deliver", AppArn, "kda:big:1.1:1:", NullLogger.Instance);
        var row = new string('x', 1_000_000);
        for (var n = 1; n <= 9; n++) writer.Add(n, Encoding.UTF8.GetBytes($"{{\"N\":{n},\"PAD\":\"{row}\"}}"));

        await writer.FlushAsync(force: true, CancellationToken.None);

        var invocations = (await _function.GetJsonAsync("/invocations")).EnumerateArray().ToList();
        Assert.That(invocations, Has.Count.GreaterThanOrEqualTo(2), "9 rows of 1 MB (base64: 12 MB) cannot go in one event");
        var ids = new List<string>();
        foreach (var invocation in invocations)
        {
            var e = invocation.GetProperty("event");
            Assert.That(e.GetRawText().Length, Is.LessThanOrEqualTo(LambdaOutputWriter.MaxPayloadBytes));
            foreach (var r in e.GetProperty("records").EnumerateArray()) ids.Add(r.GetProperty("recordId").GetString()!);
        }

        Assert.That(ids, Is.EqualTo(Enumerable.Range(1, 9).Select(n => $"kda:big:1.1:1:{n}")));
        Assert.That(writer.Pending, Is.Zero);
    }

    [Test]
    public async Task A_failed_invocation_is_retried_until_the_function_answers()
    {
        var writer = new LambdaOutputWriter(_http, _function.Endpoint + "/deliver?http_errors=2", AppArn, "kda:big:1.1:1:", NullLogger.Instance);
        writer.Add(1, """{"N":1}"""u8.ToArray());
        writer.Add(2, """{"N":2}"""u8.ToArray());

        await writer.FlushAsync(force: true, CancellationToken.None);

        var statuses = (await _function.GetJsonAsync("/invocations")).EnumerateArray().Select(i => i.GetProperty("status").GetInt32()).ToList();
        Assert.That(statuses, Is.EqualTo(new[] { 500, 500, 200 }));
        Assert.That(writer.Pending, Is.Zero);
    }
}
