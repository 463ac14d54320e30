using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>AddApplicationOutput / DeleteApplicationOutput: up to three destinations for in-application streams.</summary>
internal static class ApplicationOutputs
{
    public static AwsOperation Add(AnalyticsContext ctx) => new("AddApplicationOutput",
        Shapes.VersionedChange().Required("Output", Shapes.Output),
        async (req, w, ct) =>
        {
            var output = req.Body.Node("Output")!;
            Configuration.CheckOutput(output);
            await ctx.Catalog.ConfigureAsync(req.Body.Str("ApplicationName")!, req.Body.Long("CurrentApplicationVersionId")!.Value, app =>
            {
                if (app.Outputs.Count >= Configuration.MaxOutputs) throw AwsException.LimitExceeded($"Application {app.Name} already has {Configuration.MaxOutputs} outputs, the most allowed.");
                output["OutputId"] = app.NextId("Output");
                app.Outputs.Add(output);
            }, ct);
        });

    public static AwsOperation Delete(AnalyticsContext ctx) => new("DeleteApplicationOutput",
        Shapes.VersionedChange().Required("OutputId", Shapes.Id),
        async (req, w, ct) =>
        {
            var id = req.Body.Str("OutputId")!;
            await ctx.Catalog.ConfigureAsync(req.Body.Str("ApplicationName")!, req.Body.Long("CurrentApplicationVersionId")!.Value, app =>
                app.Outputs.Remove(UpdateApplication.Find(app.Outputs, "OutputId", id, app.Name, "Output")), ct);
        });
}
