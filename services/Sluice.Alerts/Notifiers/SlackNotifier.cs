using System.Text;
using System.Text.Json;
using Sluice.Alerts.Rules;

namespace Sluice.Alerts.Notifiers;

/// <summary>POSTs a Slack incoming-webhook message (<c>text</c>, optional <c>channel</c>) summarising the group.</summary>
public sealed class SlackNotifier(HttpClient http) : INotifier
{
    public string Type => "slack";

    public Task SendAsync(NotifierDefinition config, string payload, string idempotencyKey, CancellationToken ct)
    {
        var message = new Dictionary<string, object> { ["text"] = NotificationText.Summary(payload) };
        if (!string.IsNullOrEmpty(config.Channel)) message["channel"] = config.Channel;
        return WebhookNotifier.PostAsync(http, config.Url!, JsonSerializer.Serialize(message), idempotencyKey, config.Secret, ct);
    }
}

/// <summary>The human-readable form of a notification: a title and one line per alert.</summary>
public static class NotificationText
{
    public static string Title(string payload)
    {
        using var doc = JsonDocument.Parse(payload);
        var root = doc.RootElement;
        var firing = root.GetProperty("alerts").EnumerateArray().Count(a => a.GetProperty("status").GetString() == "firing");
        var status = root.GetProperty("status").GetString()!.ToUpperInvariant();
        return $"[{status}{(firing > 0 ? ":" + firing : "")}] {root.GetProperty("receiver").GetString()} {root.GetProperty("groupKey").GetString()}";
    }

    public static string Summary(string payload)
    {
        using var doc = JsonDocument.Parse(payload);
        var text = new StringBuilder(Title(payload)).Append('\n');
        foreach (var alert in doc.RootElement.GetProperty("alerts").EnumerateArray())
        {
            text.Append("• ").Append(alert.GetProperty("status").GetString()).Append(' ');
            text.AppendJoin(' ', alert.GetProperty("labels").EnumerateObject().Where(l => l.Name is not ("alertname" or "stream")).Select(l => $"{l.Name}={l.Value.GetString()}"));
            text.Append(" — ");
            text.AppendJoin(", ", alert.GetProperty("annotations").EnumerateObject().Select(a => $"{a.Name}: {a.Value.GetString()}"));
            text.Append('\n');
        }

        return text.ToString();
    }
}
