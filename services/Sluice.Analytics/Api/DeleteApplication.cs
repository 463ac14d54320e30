using Sluice.Analytics.Applications;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>DeleteApplication: CreateTimestamp must match; the application goes DELETING, the runner stops it, then it is gone.</summary>
internal static class DeleteApplication
{
    public static AwsOperation Operation(AnalyticsContext ctx) => new("DeleteApplication",
        new StructureShape()
            .Required("ApplicationName", Shapes.ApplicationName)
            .Required("CreateTimestamp", new TimestampShape()),
        async (req, w, ct) =>
        {
            var name = req.Body.Str("ApplicationName")!;
            var created = req.Body.Time("CreateTimestamp")!.Value;
            await ctx.Catalog.ChangeAsync(name, app =>
            {
                // SDKs send the timestamp back in whole seconds (botocore drops the fraction): match to the second.
                if (created.ToUnixTimeSeconds() != app.CreatedMs / 1000)
                {
                    throw AwsException.InvalidArgument($"CreateTimestamp {created.ToUnixTimeMilliseconds() / 1000m} does not match the application's creation timestamp.");
                }

                if (app.Status == ApplicationStatus.DELETING) throw AwsException.InUse($"Application {name} is already being deleted.");
                app.Status = ApplicationStatus.DELETING;
            }, ct);
        });
}
