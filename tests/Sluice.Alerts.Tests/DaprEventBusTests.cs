using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;
using Sluice.EventBus;
using static Sluice.Alerts.Tests.AlertsClient;

namespace Sluice.Alerts.Tests;

/// <summary>
/// The event bus over a Dapr sidecar's HTTP API. No daprd can run here, so the sidecar is a small fake
/// (tests/clients/alerts_fake_dapr.py) that speaks the same publish, /dapr/subscribe and CloudEvents contract.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DaprEventBusTests
{
    [Test]
    public async Task Alert_published_through_the_sidecar_reaches_subscribers_as_a_CloudEvent()
    {
        var sidecarPort = TestStorage.FreePort();
        Environment.SetEnvironmentVariable("DAPR_HTTP_PORT", sidecarPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        TestServer server;
        try
        {
            server = await TestServer.StartAsync(await TestStorage.CreateAsync(TestStorage.Sqlite));
        }
        finally
        {
            Environment.SetEnvironmentVariable("DAPR_HTTP_PORT", null);
        }

        await using (server)
        {
            using var sidecar = await BackgroundScript.StartAsync(ClientScripts.Python, "alerts_fake_dapr.py", sidecarPort, null, server.Endpoint);
            Assert.That(server.Services.GetRequiredService<IEventBus>(), Is.InstanceOf<DaprEventBus>());
            var received = new List<string>();
            using var subscription = server.Services.GetRequiredService<IEventBus>().Subscribe("sluice.alerts", (json, _) =>
            {
                lock (received) received.Add(Encoding.UTF8.GetString(json.Span));
                return Task.CompletedTask;
            });

            using var api = new AlertsClient(server.Endpoint);
            await api.PutRuleAsync(new
            {
                name = "hot",
                stream = "sensor-readings",
                key = "SENSOR_ID",
                where = new[] { new { field = "TEMP_C", op = "gt", value = "80" } },
                groupWait = "0s",
                notify = new[] { new { type = "eventbus" } },
            });
            await api.PutRowsAsync("sensor-readings", [new { SENSOR_ID = "S-7", TEMP_C = 91.5 }], createShards: 1);

            await EventuallyAsync(async () => { lock (received) return received.Count >= 1; }, "the CloudEvent delivered back through the sidecar");
            var published = sidecar.Entries().Single();
            Assert.That((string)published["pubsub"]!, Is.EqualTo("sluice-pubsub"));
            Assert.That((string)published["topic"]!, Is.EqualTo("sluice.alerts"));
            lock (received)
            {
                var evt = JsonNode.Parse(received.Single())!;
                Assert.That((string)evt["notification"]!["alerts"]![0]!["labels"]!["SENSOR_ID"]!, Is.EqualTo("S-7"));
                Assert.That((string)evt["idempotencyKey"]!, Is.EqualTo((string)published["data"]!["idempotencyKey"]!));
            }
        }
    }
}
