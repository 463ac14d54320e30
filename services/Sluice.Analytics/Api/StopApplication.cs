using Sluice.Analytics.Applications;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>StopApplication: RUNNING → STOPPING (the runner checkpoints for LAST_STOPPED_POINT) → READY.</summary>
internal static class StopApplication
{
    public static AwsOperation Operation(AnalyticsContext ctx) => new("StopApplication",
        new StructureShape().Required("ApplicationName", Shapes.ApplicationName),
        async (req, w, ct) =>
        {
            var name = req.Body.Str("ApplicationName")!;
            await ctx.Catalog.ChangeAsync(name, app =>
            {
                if (app.Status is not (ApplicationStatus.RUNNING or ApplicationStatus.STARTING))
                {
                    throw AwsException.InUse($"Application {name} is in {app.Status} status; it must be RUNNING to stop.");
                }

                app.Status = ApplicationStatus.STOPPING;
            }, ct);
        });
}
