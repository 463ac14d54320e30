using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>AddApplicationReferenceDataSource / DeleteApplicationReferenceDataSource: the one S3 reference table.</summary>
internal static class ReferenceDataSources
{
    public static AwsOperation Add(AnalyticsContext ctx) => new("AddApplicationReferenceDataSource",
        Shapes.VersionedChange().Required("ReferenceDataSource", Shapes.ReferenceDataSource),
        async (req, w, ct) =>
        {
            var reference = req.Body.Node("ReferenceDataSource")!;
            Configuration.CheckReference(reference);
            await ctx.Catalog.ConfigureAsync(req.Body.Str("ApplicationName")!, req.Body.Long("CurrentApplicationVersionId")!.Value, app =>
            {
                if (app.References.Count > 0) throw AwsException.InvalidArgument($"Application {app.Name} already has a reference data source; an application can have only one.");
                reference["ReferenceId"] = app.NextId("Reference");
                app.References.Add(reference);
                Configuration.CheckCode(app);
            }, ct);
        });

    public static AwsOperation Delete(AnalyticsContext ctx) => new("DeleteApplicationReferenceDataSource",
        Shapes.VersionedChange().Required("ReferenceId", Shapes.Id),
        async (req, w, ct) =>
        {
            var id = req.Body.Str("ReferenceId")!;
            await ctx.Catalog.ConfigureAsync(req.Body.Str("ApplicationName")!, req.Body.Long("CurrentApplicationVersionId")!.Value, app =>
                app.References.Remove(UpdateApplication.Find(app.References, "ReferenceId", id, app.Name, "Reference data source")), ct);
        });
}
