using Sluice.Alerts.Rules;

namespace Sluice.Alerts.Notifiers;

/// <summary>Delivers one notification (an Alertmanager-format group payload) to one destination; throws when it was not accepted.</summary>
public interface INotifier
{
    /// <summary>The notifier type rules name (webhook, slack, email, eventbus).</summary>
    string Type { get; }

    Task SendAsync(NotifierDefinition config, string payload, string idempotencyKey, CancellationToken ct);
}
