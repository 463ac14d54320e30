using System.Text;
using Sluice.Alerts.Rules;
using Sluice.EventBus;

namespace Sluice.Alerts.Notifiers;

/// <summary>Publishes the notification on the event bus (topic <c>sluice.alerts</c> unless the rule names another): the SNS role.</summary>
public sealed class EventBusNotifier(IEventBus bus) : INotifier
{
    public const string Topic = "sluice.alerts";

    public string Type => "eventbus";

    public Task SendAsync(NotifierDefinition config, string payload, string idempotencyKey, CancellationToken ct)
    {
        // The key travels inside the event so subscribers can drop a redelivery.
        var body = "{\"idempotencyKey\":\"" + idempotencyKey + "\",\"notification\":" + payload + "}";
        return bus.PublishAsync(string.IsNullOrEmpty(config.Topic) ? Topic : config.Topic, Encoding.UTF8.GetBytes(body), ct);
    }
}
