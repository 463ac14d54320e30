using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Alerts.Alerting;
using Sluice.Alerts.Rules;
using Sluice.Alerts.Storage;

namespace Sluice.Alerts.Api;

/// <summary>/alerts/v1/silences: create (matchers, startsAt, endsAt), list with status, expire (DELETE).</summary>
internal static class SilencesApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/silences", async (AlertsStore store, TimeProvider clock, CancellationToken ct) =>
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            return ApiResults.Ok(new { silences = (await store.SilencesAsync(ct)).Select(s => View(s, now)) });
        });
        api.MapGet("/silences/{id}", async (string id, AlertsStore store, TimeProvider clock, CancellationToken ct) =>
        {
            var silence = (await store.SilencesAsync(ct)).FirstOrDefault(s => s.Id == id);
            return silence is null ? ApiResults.NotFound("silence", id) : ApiResults.Ok(View(silence, clock.GetUtcNow().ToUnixTimeMilliseconds()));
        });
        api.MapPost("/silences", async (HttpRequest request, AlertsStore store, TimeProvider clock, AlertsWorker worker, CancellationToken ct) =>
        {
            try
            {
                var silence = ResourcesFile.Parse<Silence>(await ApiResults.BodyAsync(request, ct));
                if (silence.Matchers is not { Count: > 0 }) throw new RuleException("matchers", "needs at least one matcher");
                for (var i = 0; i < silence.Matchers.Count; i++) silence.Matchers[i].Check($"matchers[{i}].");
                var now = clock.GetUtcNow();
                silence.StartsAt ??= now;
                if (silence.EndsAt is null) throw new RuleException("endsAt", "is required (a silence expires)");
                if (silence.EndsAt <= silence.StartsAt) throw new RuleException("endsAt", "must be after startsAt");
                silence.Id ??= Guid.NewGuid().ToString("N");
                await store.SaveSilenceAsync(silence, now.ToUnixTimeMilliseconds(), ct);
                worker.Wake();
                return ApiResults.Ok(View(silence, now.ToUnixTimeMilliseconds()), 201);
            }
            catch (RuleException e)
            {
                return ApiResults.Invalid(e);
            }
        });
        api.MapDelete("/silences/{id}", async (string id, AlertsStore store, TimeProvider clock, CancellationToken ct) =>
            await store.ExpireSilenceAsync(id, clock.GetUtcNow().ToUnixTimeMilliseconds(), ct) ? Results.NoContent() : ApiResults.NotFound("silence", id));
    }

    private static object View(Silence s, long now) => new { s.Id, s.Matchers, s.StartsAt, s.EndsAt, s.CreatedBy, s.Comment, status = new { state = s.StatusAt(now) } };
}
