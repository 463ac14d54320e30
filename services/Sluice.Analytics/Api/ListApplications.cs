using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>ListApplications: summaries in name order, paged by ExclusiveStartApplicationName.</summary>
internal static class ListApplications
{
    public static AwsOperation Operation(AnalyticsContext ctx) => new("ListApplications",
        new StructureShape()
            .Optional("Limit", new NumberShape(false) { Min = 1, Max = 50 })
            .Optional("ExclusiveStartApplicationName", Shapes.ApplicationName),
        (req, w, ct) =>
        {
            var limit = (int)(req.Body.Long("Limit") ?? 50);
            var after = req.Body.Str("ExclusiveStartApplicationName");
            var apps = ctx.Catalog.All();
            var written = 0;
            var hasMore = false;
            w.WriteStartArray("ApplicationSummaries");
            foreach (var app in apps)
            {
                if (after is not null && string.CompareOrdinal(app.Name, after) <= 0) continue;
                if (written == limit)
                {
                    hasMore = true;
                    break;
                }

                ApplicationDetail.WriteSummary(w, ctx.Catalog, app);
                written++;
            }

            w.WriteEndArray();
            w.WriteBoolean("HasMoreApplications", hasMore);
            return ValueTask.CompletedTask;
        });
}
