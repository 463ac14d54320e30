using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace Sluice.Analytics.Tests.EndToEnd;

/// <summary>
/// A LambdaOutput destination end to end: the application created and started with boto3, records put with boto3,
/// rows delivered to a real HTTP function (tests/clients/kda_lambda_output_server.py) mapped by --lambda-endpoints.
/// </summary>
[NonParallelizable]
public sealed class LambdaOutputTests
{
    private const string FunctionArn = "arn:aws:lambda:us-east-1:111122223333:function:heavy-sink";

    private const string Code = """
        CREATE OR REPLACE STREAM "HEAVY" (BOOTH_ID VARCHAR(8), PLATE VARCHAR(16), AXLES INTEGER);
        CREATE OR REPLACE PUMP "HEAVY_PUMP" AS INSERT INTO "HEAVY"
          SELECT STREAM BOOTH_ID, PLATE, AXLES FROM "SOURCE_SQL_STREAM_001" WHERE AXLES >= 3;
        """;

    private ScriptServer _function = null!;
    private TestServer _server = null!;
    private KdaHarness _kda = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _function = await ScriptServer.StartAsync("kda_lambda_output_server.py");
        var settings = await TestStorage.CreateAsync(TestStorage.Sqlite);
        settings.LambdaEndpoints[FunctionArn] = _function.Endpoint + "/deliver?fail_once=B08";
        _server = await TestServer.StartAsync(settings);
        _kda = new KdaHarness(_server.Endpoint);
    }

    [TearDown]
    public async Task StopAsync()
    {
        _kda.Dispose();
        await _server.DisposeAsync();
        await _function.DisposeAsync();
    }

    [Test]
    public async Task Lambda_output_receives_every_row_and_a_DeliveryFailed_record_is_sent_again_with_retryHint_1()
    {
        await _kda.CreateStreamAsync("tolls-in");
        var output = new JsonObject
        {
            ["Name"] = "HEAVY",
            ["LambdaOutput"] = new JsonObject { ["ResourceARN"] = FunctionArn, ["RoleARN"] = KdaHarness.Role },
            ["DestinationSchema"] = new JsonObject { ["RecordFormatType"] = "JSON" },
        };
        await _kda.CreateApplicationAsync(KdaHarness.Spec("heavy-lambda", Code, KdaHarness.TollInput("tolls-in"), output));
        await _kda.Boto3Async("start", "heavy-lambda", "TRIM_HORIZON");
        await _kda.PutAsync("tolls-in",
        [
            KdaHarness.Toll("C-1", "B07", "T1", "TRUCK", 4, 9.50m, "2024-05-01 08:00:00.000"),
            KdaHarness.Toll("C-2", "B07", "K2", "CAR", 2, 2.75m, "2024-05-01 08:00:01.000"),
            KdaHarness.Toll("C-3", "B08", "T3", "BUS", 3, 5.00m, "2024-05-01 08:00:02.000"),
            KdaHarness.Toll("C-4", "B09", "T4", "TRUCK", 5, 7.25m, "2024-05-01 08:00:03.000"),
        ]);

        string[] expected =
        [
            """{"BOOTH_ID":"B07","PLATE":"T1","AXLES":4}""",
            """{"BOOTH_ID":"B08","PLATE":"T3","AXLES":3}""",
            """{"BOOTH_ID":"B09","PLATE":"T4","AXLES":5}""",
        ];
        var deliveries = await WaitForOkAsync(expected.Length);

        Assert.That(deliveries.Where(d => d.Result == "Ok").Select(d => d.Data).Order(), Is.EqualTo(expected.Order()), "every row reaches the function once it answers Ok");
        var failed = deliveries.Single(d => d.Result == "DeliveryFailed");
        Assert.That(failed.Data, Is.EqualTo(expected[1]));
        Assert.That(failed.RetryHint, Is.EqualTo(0));
        var resent = deliveries.Single(d => d.RecordId == failed.RecordId && d.Result == "Ok");
        Assert.That(resent.RetryHint, Is.EqualTo(1), "a DeliveryFailed record comes back with its retry hint incremented");
        Assert.That(deliveries.Where(d => d.RecordId != failed.RecordId).Select(d => d.RetryHint), Is.All.EqualTo(0));
        Assert.That(deliveries.Select(d => d.RecordId).Distinct().Count(), Is.EqualTo(expected.Length), "one record id per row");

        var events = await _function.GetJsonAsync("/invocations");
        foreach (var invocation in events.EnumerateArray())
        {
            var e = invocation.GetProperty("event");
            Assert.That(e.GetProperty("applicationArn").GetString(), Is.EqualTo("arn:aws:kinesisanalytics:us-east-1:000000000000:application/heavy-lambda"));
            Assert.That(Guid.TryParse(e.GetProperty("invocationId").GetString(), out _), Is.True);
        }
    }

    private sealed record Delivery(string RecordId, int RetryHint, string Data, string Result);

    /// <summary>Every record the function was sent with what it answered, once <paramref name="rows"/> distinct rows were answered Ok (bounded wait).</summary>
    private async Task<List<Delivery>> WaitForOkAsync(int rows)
    {
        var deliveries = new List<Delivery>();
        for (var attempt = 0; attempt < 300; attempt++)
        {
            deliveries = Deliveries(await _function.GetJsonAsync("/invocations"));
            if (deliveries.Where(d => d.Result == "Ok").Select(d => d.RecordId).Distinct().Count() >= rows)
            {
                // A little longer, to catch rows that should not be there.
                await Task.Delay(1500);
                return Deliveries(await _function.GetJsonAsync("/invocations"));
            }

            await Task.Delay(200);
        }

        Assert.Fail($"the function has {deliveries.Count} deliveries, fewer than {rows} rows answered Ok: {string.Join("\n", deliveries)}");
        return deliveries;
    }

    private static List<Delivery> Deliveries(JsonElement invocations)
    {
        var list = new List<Delivery>();
        foreach (var invocation in invocations.EnumerateArray())
        {
            if (invocation.GetProperty("status").GetInt32() != 200) continue;
            var answers = invocation.GetProperty("answers").EnumerateArray().ToDictionary(a => a.GetProperty("recordId").GetString()!, a => a.GetProperty("result").GetString()!);
            foreach (var record in invocation.GetProperty("event").GetProperty("records").EnumerateArray())
            {
                var id = record.GetProperty("recordId").GetString()!;
                list.Add(new Delivery(
                    id,
                    record.GetProperty("lambdaDeliveryRecordMetadata").GetProperty("retryHint").GetInt32(),
                    Encoding.UTF8.GetString(Convert.FromBase64String(record.GetProperty("data").GetString()!)),
                    answers[id]));
            }
        }

        return list;
    }
}
