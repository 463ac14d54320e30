using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Sluice.Alerts.Rules;

namespace Sluice.Alerts.Api;

/// <summary>/alerts/v1/limits: per-key limits tables, replaced by a JSON object or a CSV upload, or loaded from an S3 object.</summary>
internal static class LimitsApi
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/limits", (RuleCatalog catalog) => ApiResults.Ok(new { tables = catalog.Limits.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => new { name = t.Key, keys = t.Value.Count }) }));
        api.MapGet("/limits/{table}", (string table, RuleCatalog catalog) =>
            catalog.Limits.TryGetValue(table, out var limits) ? ApiResults.Ok(new { name = table, limits = new SortedDictionary<string, double>(limits, StringComparer.Ordinal) }) : ApiResults.NotFound("table", table));
        api.MapPut("/limits/{table}", async (string table, HttpRequest request, RuleCatalog catalog, CancellationToken ct) =>
        {
            try
            {
                CheckName(table);
                var body = await ApiResults.BodyAsync(request, ct);
                var limits = request.ContentType?.StartsWith("text/csv", StringComparison.OrdinalIgnoreCase) == true
                    ? LimitsCsv.Parse(body)
                    : ResourcesFile.Parse<LimitsBody>(body).Limits ?? throw new RuleException("limits", "is required: an object mapping keys to numbers (or send text/csv)");
                await catalog.PutLimitsAsync(table, limits, ct);
                return ApiResults.Ok(new { name = table, keys = limits.Count });
            }
            catch (RuleException e)
            {
                return ApiResults.Invalid(e);
            }
        });
        api.MapPost("/limits/{table}/s3", async (string table, HttpRequest request, RuleCatalog catalog, LimitsLoader loader, CancellationToken ct) =>
        {
            try
            {
                CheckName(table);
                var location = ResourcesFile.Parse<S3Location>(await ApiResults.BodyAsync(request, ct));
                if (string.IsNullOrEmpty(location.Bucket)) throw new RuleException("bucket", "is required");
                if (string.IsNullOrEmpty(location.Key)) throw new RuleException("key", "is required");
                var limits = await loader.FromS3Async(location.Bucket, location.Key, ct);
                await catalog.PutLimitsAsync(table, limits, ct);
                return ApiResults.Ok(new { name = table, keys = limits.Count });
            }
            catch (RuleException e)
            {
                return ApiResults.Invalid(e);
            }
        });
        api.MapDelete("/limits/{table}", async (string table, RuleCatalog catalog, CancellationToken ct) =>
            await catalog.DeleteLimitsAsync(table, ct) ? Results.NoContent() : ApiResults.NotFound("table", table));
    }

    private static void CheckName(string table)
    {
        if (table.Length is 0 or > 128) throw new RuleException("table", "must be 1-128 characters");
    }

    private sealed class LimitsBody
    {
        public Dictionary<string, double>? Limits { get; set; }
    }

    private sealed class S3Location
    {
        public string? Bucket { get; set; }

        public string? Key { get; set; }
    }
}
