using System.Text.Json;
using Sluice.Alerts.Rules;
using Sluice.Alerts.Storage;

namespace Sluice.Alerts.Alerting;

/// <summary>The body of a group notification, in Prometheus Alertmanager's webhook format (version 4), so existing receivers read it.</summary>
public static class NotificationPayload
{
    public static string Create(CompiledRule rule, string groupKey, SortedDictionary<string, string> groupLabels, IReadOnlyList<AlertRow> alerts, long seq, long nowMs)
    {
        var common = new SortedDictionary<string, string>(alerts[0].Labels, StringComparer.Ordinal);
        foreach (var a in alerts)
        {
            foreach (var k in common.Keys.ToList())
            {
                if (!a.Labels.TryGetValue(k, out var v) || v != common[k]) common.Remove(k);
            }
        }

        var body = new
        {
            version = "4",
            groupKey,
            sequence = seq,
            status = alerts.Any(a => a.State == "firing") ? "firing" : "resolved",
            receiver = rule.Name,
            groupLabels,
            commonLabels = common,
            commonAnnotations = new Dictionary<string, string> { ["summary"] = rule.Summary },
            sentAt = DateTimeOffset.FromUnixTimeMilliseconds(nowMs),
            alerts = alerts.Select(a => new
            {
                status = a.State,
                labels = a.Labels,
                annotations = a.Annotations,
                startsAt = a.StartsAt,
                endsAt = a.EndsAt ?? DateTimeOffset.UnixEpoch,
                fingerprint = a.Fingerprint,
                value = a.Value,
            }).ToList(),
        };
        return JsonSerializer.Serialize(body, AlertsStore.Json);
    }
}
