using System.Text.Json.Nodes;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>AddApplicationInput: the one streaming input, when the application has none yet.</summary>
internal static class AddApplicationInput
{
    public static AwsOperation Operation(AnalyticsContext ctx) => new("AddApplicationInput",
        Shapes.VersionedChange().Required("Input", Shapes.Input),
        async (req, w, ct) =>
        {
            var input = req.Body.Node("Input")!;
            Configuration.CheckInput(input);
            await ctx.Catalog.ConfigureAsync(req.Body.Str("ApplicationName")!, req.Body.Long("CurrentApplicationVersionId")!.Value, app =>
            {
                if (app.Input is not null) throw AwsException.InvalidArgument($"Application {app.Name} already has an input ({app.Input["InputId"]}); an application can have only one.");
                input["InputId"] = app.NextId("Input");
                app.Input = input;
                Configuration.CheckCode(app);
            }, ct);
        });
}
