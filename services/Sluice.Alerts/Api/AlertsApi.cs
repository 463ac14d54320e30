using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Alerts.Rules;
using Sluice.Alerts.Storage;

namespace Sluice.Alerts.Api;

/// <summary>/alerts/v1/alerts and /history: alert state (with whether a silence mutes it), history, acknowledgement.</summary>
internal static class AlertsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/alerts", async (HttpRequest request, AlertsStore store, TimeProvider clock, CancellationToken ct) =>
        {
            string? state = request.Query["state"];
            if (state is not (null or "firing" or "resolved")) return ApiResults.Invalid(new RuleException("state", $"must be firing or resolved, got '{state}'"));
            var alerts = await store.AlertsAsync(state, request.Query["rule"], ct);
            var silences = await store.SilencesAsync(ct);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            return ApiResults.Ok(new { alerts = alerts.Select(a => View(a, silences.Where(s => s.Mutes(a.Labels, now)).Select(s => s.Id!).ToList())) });
        });
        api.MapGet("/alerts/{fingerprint}", async (string fingerprint, AlertsStore store, TimeProvider clock, CancellationToken ct) =>
        {
            var alert = await store.AlertAsync(fingerprint, ct);
            if (alert is null) return ApiResults.NotFound("alert", fingerprint);
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            return ApiResults.Ok(View(alert, (await store.SilencesAsync(ct)).Where(s => s.Mutes(alert.Labels, now)).Select(s => s.Id!).ToList()));
        });
        api.MapGet("/alerts/{fingerprint}/history", async (string fingerprint, HttpRequest request, AlertsStore store, CancellationToken ct) =>
            ApiResults.Ok(new { history = await store.HistoryAsync(fingerprint, ApiResults.Limit(request, 1000), ct) }));
        api.MapPost("/alerts/{fingerprint}/ack", async (string fingerprint, HttpRequest request, AlertsStore store, TimeProvider clock, CancellationToken ct) =>
        {
            try
            {
                var ack = ResourcesFile.Parse<AckBody>(await ApiResults.BodyAsync(request, ct));
                if (string.IsNullOrWhiteSpace(ack.By)) throw new RuleException("by", "is required (who acknowledges)");
                return await store.AcknowledgeAsync(fingerprint, ack.By, ack.Comment ?? "", clock.GetUtcNow().ToUnixTimeMilliseconds(), ct)
                    ? ApiResults.Ok(new { fingerprint, acknowledgedBy = ack.By })
                    : ApiResults.NotFound("alert", fingerprint);
            }
            catch (RuleException e)
            {
                return ApiResults.Invalid(e);
            }
        });
        api.MapGet("/history", async (HttpRequest request, AlertsStore store, CancellationToken ct) =>
            ApiResults.Ok(new { history = await store.HistoryAsync(null, ApiResults.Limit(request, 1000), ct) }));
        api.MapGet("/notifications", async (HttpRequest request, AlertsStore store, CancellationToken ct) =>
        {
            string? state = request.Query["state"];
            if (state is not (null or "pending" or "sent")) return ApiResults.Invalid(new RuleException("state", $"must be pending or sent, got '{state}'"));
            var log = await store.NotificationLogAsync(request.Query["rule"], state, ApiResults.Limit(request, 1000), ct);
            return ApiResults.Ok(new
            {
                notifications = log.Select(n => new
                {
                    idempotencyKey = n.IdempotencyKey,
                    n.GroupKey,
                    n.Rule,
                    n.Notifier,
                    n.State,
                    n.Attempts,
                    n.LastError,
                    n.CreatedAt,
                    n.SentAt,
                    n.NextAttemptAt,
                    payload = System.Text.Json.JsonDocument.Parse(n.Payload).RootElement,
                }),
            });
        });
    }

    private static object View(AlertRow a, List<string> silencedBy) => new
    {
        a.Fingerprint,
        a.Rule,
        status = a.State,
        a.Labels,
        a.Annotations,
        a.Value,
        a.StartsAt,
        a.EndsAt,
        a.UpdatedAt,
        a.GroupKey,
        silencedBy,
        acknowledged = a.AcknowledgedAt is null ? null : new { by = a.AcknowledgedBy, at = a.AcknowledgedAt, comment = a.AcknowledgementComment },
    };

    private sealed class AckBody
    {
        public string? By { get; set; }

        public string? Comment { get; set; }
    }
}
