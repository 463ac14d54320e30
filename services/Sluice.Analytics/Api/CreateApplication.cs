using System.Text.Json.Nodes;
using Sluice.Analytics.Applications;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>CreateApplication: a READY application whose code compiles against its input (reference data comes later).</summary>
internal static class CreateApplication
{
    public static AwsOperation Operation(AnalyticsContext ctx) => new("CreateApplication",
        new StructureShape()
            .Required("ApplicationName", Shapes.ApplicationName)
            .Optional("ApplicationDescription", Shapes.Description)
            .Optional("Inputs", new ListShape(Shapes.Input))
            .Optional("Outputs", new ListShape(Shapes.Output))
            .Optional("CloudWatchLoggingOptions", new ListShape(Shapes.LoggingOption))
            .Optional("ApplicationCode", Shapes.Code)
            .Optional("Tags", Shapes.Tags),
        async (req, w, ct) =>
        {
            var body = req.Body;
            var now = ctx.Catalog.NowMs;
            var app = new Application
            {
                Name = body.Str("ApplicationName")!,
                Description = body.Str("ApplicationDescription"),
                Code = body.Str("ApplicationCode") ?? string.Empty,
                CreatedMs = now,
                UpdatedMs = now,
            };
            var inputs = body.Items("Inputs").ToList();
            if (inputs.Count > 1) throw AwsException.InvalidArgument("An application can have at most one streaming input; Inputs has " + inputs.Count + ".");
            if (inputs.Count == 1)
            {
                var input = (JsonObject)JsonNode.Parse(inputs[0].GetRawText())!;
                Configuration.CheckInput(input);
                input["InputId"] = app.NextId("Input");
                app.Input = input;
            }

            var outputs = body.Items("Outputs").ToList();
            if (outputs.Count > Configuration.MaxOutputs) throw AwsException.LimitExceeded($"An application can have at most {Configuration.MaxOutputs} outputs; Outputs has {outputs.Count}.");
            foreach (var item in outputs)
            {
                var output = (JsonObject)JsonNode.Parse(item.GetRawText())!;
                Configuration.CheckOutput(output);
                output["OutputId"] = app.NextId("Output");
                app.Outputs.Add(output);
            }

            foreach (var item in body.Items("CloudWatchLoggingOptions"))
            {
                var option = (JsonObject)JsonNode.Parse(item.GetRawText())!;
                option["CloudWatchLoggingOptionId"] = app.NextId("Logging");
                app.Logging.Add(option);
            }

            app.Tags = ApplicationTags.Read(body, "Tags");
            ApplicationTags.CheckCount(app.Tags.Count);
            Configuration.CheckCode(app);
            await ctx.Catalog.CreateAsync(app, ct);
            w.WriteStartObject("ApplicationSummary");
            w.WriteString("ApplicationName", app.Name);
            w.WriteString("ApplicationARN", ctx.Catalog.Arn(app.Name));
            w.WriteString("ApplicationStatus", app.Status.ToString());
            w.WriteEndObject();
        });
}
