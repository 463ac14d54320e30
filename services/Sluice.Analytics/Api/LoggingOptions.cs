using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>AddApplicationCloudWatchLoggingOption / Delete…: kept and described (Sluice logs to its own log, not CloudWatch).</summary>
internal static class LoggingOptions
{
    public static AwsOperation Add(AnalyticsContext ctx) => new("AddApplicationCloudWatchLoggingOption",
        Shapes.VersionedChange().Required("CloudWatchLoggingOption", Shapes.LoggingOption),
        async (req, w, ct) =>
        {
            var option = req.Body.Node("CloudWatchLoggingOption")!;
            await ctx.Catalog.ConfigureAsync(req.Body.Str("ApplicationName")!, req.Body.Long("CurrentApplicationVersionId")!.Value, app =>
            {
                option["CloudWatchLoggingOptionId"] = app.NextId("Logging");
                app.Logging.Add(option);
            }, ct);
        });

    public static AwsOperation Delete(AnalyticsContext ctx) => new("DeleteApplicationCloudWatchLoggingOption",
        Shapes.VersionedChange().Required("CloudWatchLoggingOptionId", Shapes.Id),
        async (req, w, ct) =>
        {
            var id = req.Body.Str("CloudWatchLoggingOptionId")!;
            await ctx.Catalog.ConfigureAsync(req.Body.Str("ApplicationName")!, req.Body.Long("CurrentApplicationVersionId")!.Value, app =>
                app.Logging.Remove(UpdateApplication.Find(app.Logging, "CloudWatchLoggingOptionId", id, app.Name, "CloudWatch logging option")), ct);
        });
}
