using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Alerts.Rules;
using Sluice.Alerts.Storage;

namespace Sluice.Alerts.Api;

/// <summary>/alerts/v1/rules: list, read, create (POST), create-or-replace (PUT), delete, and a rule's accumulated state.</summary>
internal static class RulesApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/rules", (RuleCatalog catalog) => ApiResults.Ok(new { rules = catalog.Rules.Values.OrderBy(r => r.Name, StringComparer.Ordinal).Select(r => r.Definition) }));
        api.MapGet("/rules/{name}", (string name, RuleCatalog catalog) =>
            catalog.Rules.TryGetValue(name, out var rule) ? ApiResults.Ok(rule.Definition) : ApiResults.NotFound("rule", name));
        api.MapPost("/rules", async (HttpRequest request, RuleCatalog catalog, TimeProvider clock, CancellationToken ct) =>
        {
            try
            {
                var definition = ResourcesFile.ParseRule(await ApiResults.BodyAsync(request, ct));
                if (definition.Name is not null && catalog.Rules.ContainsKey(definition.Name)) return ApiResults.Conflict("rule", definition.Name);
                var rule = await catalog.PutRuleAsync(definition, "api", clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
                return ApiResults.Ok(rule.Definition, 201);
            }
            catch (RuleException e)
            {
                return ApiResults.Invalid(e);
            }
        });
        api.MapPut("/rules/{name}", async (string name, HttpRequest request, RuleCatalog catalog, TimeProvider clock, CancellationToken ct) =>
        {
            try
            {
                var definition = ResourcesFile.ParseRule(await ApiResults.BodyAsync(request, ct));
                if (definition.Name is not null && definition.Name != name) throw new RuleException("name", $"'{definition.Name}' differs from the name in the path ('{name}')");
                definition.Name = name;
                var rule = await catalog.PutRuleAsync(definition, "api", clock.GetUtcNow().ToUnixTimeMilliseconds(), ct);
                return ApiResults.Ok(rule.Definition);
            }
            catch (RuleException e)
            {
                return ApiResults.Invalid(e);
            }
        });
        api.MapDelete("/rules/{name}", async (string name, RuleCatalog catalog, CancellationToken ct) =>
            await catalog.DeleteRuleAsync(name, ct) ? Results.NoContent() : ApiResults.NotFound("rule", name));
        api.MapGet("/rules/{name}/state", async (string name, RuleCatalog catalog, AlertsStore store, CancellationToken ct) =>
        {
            if (!catalog.Rules.ContainsKey(name)) return ApiResults.NotFound("rule", name);
            var (totals, windows) = await store.RuleStateAsync(name, ct);
            return ApiResults.Ok(new
            {
                totals = totals.Select(t => new { key = t.Key, period = t.Period, total = t.Total }),
                windows = windows.Select(w => new { key = w.Key, windowStart = AlertsStore.Time(w.WindowStart), total = w.Total }),
            });
        });
    }
}
