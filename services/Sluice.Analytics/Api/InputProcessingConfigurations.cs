using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>AddApplicationInputProcessingConfiguration / Delete…: the pre-processing Lambda of the input.</summary>
internal static class InputProcessingConfigurations
{
    public static AwsOperation Add(AnalyticsContext ctx) => new("AddApplicationInputProcessingConfiguration",
        Shapes.VersionedChange().Required("InputId", Shapes.Id).Required("InputProcessingConfiguration", Shapes.InputProcessing),
        async (req, w, ct) =>
        {
            var id = req.Body.Str("InputId")!;
            var config = req.Body.Node("InputProcessingConfiguration")!;
            await ctx.Catalog.ConfigureAsync(req.Body.Str("ApplicationName")!, req.Body.Long("CurrentApplicationVersionId")!.Value, app =>
            {
                if (app.Input is null || (string?)app.Input["InputId"] != id) throw AwsException.NotFound($"Input {id} is not found in application {app.Name}.");
                if (app.Input["InputProcessingConfiguration"] is not null) throw AwsException.InvalidArgument($"Input {id} already has an input processing configuration.");
                app.Input["InputProcessingConfiguration"] = config;
            }, ct);
        });

    public static AwsOperation Delete(AnalyticsContext ctx) => new("DeleteApplicationInputProcessingConfiguration",
        Shapes.VersionedChange().Required("InputId", Shapes.Id),
        async (req, w, ct) =>
        {
            var id = req.Body.Str("InputId")!;
            await ctx.Catalog.ConfigureAsync(req.Body.Str("ApplicationName")!, req.Body.Long("CurrentApplicationVersionId")!.Value, app =>
            {
                if (app.Input is null || (string?)app.Input["InputId"] != id) throw AwsException.NotFound($"Input {id} is not found in application {app.Name}.");
                app.Input.Remove("InputProcessingConfiguration");
            }, ct);
        });
}
