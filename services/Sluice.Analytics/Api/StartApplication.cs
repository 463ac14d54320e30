using System.Text.Json.Nodes;
using Sluice.Analytics.Applications;
using Sluice.Analytics.Sql;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>StartApplication: READY → STARTING (the runner compiles, loads reference data and reads the input from the chosen position) → RUNNING.</summary>
internal static class StartApplication
{
    public static AwsOperation Operation(AnalyticsContext ctx) => new("StartApplication",
        new StructureShape()
            .Required("ApplicationName", Shapes.ApplicationName)
            .Required("InputConfigurations", new ListShape(new StructureShape()
                .Required("Id", Shapes.Id)
                .Required("InputStartingPositionConfiguration", Shapes.StartingPosition))),
        async (req, w, ct) =>
        {
            var name = req.Body.Str("ApplicationName")!;
            var configs = req.Body.Items("InputConfigurations").ToList();
            await ctx.Catalog.ChangeAsync(name, app =>
            {
                if (app.Status != ApplicationStatus.READY) throw AwsException.InUse($"Application {name} is in {app.Status} status; it must be READY to start.");
                if (app.Input is null) throw AwsException.InvalidArgument($"Application {name} has no input to start.");
                if (configs.Count != 1) throw AwsException.InvalidArgument($"InputConfigurations must name the application's one input (InputId {app.Input["InputId"]}).");
                var id = configs[0].Str("Id");
                if (id != (string?)app.Input["InputId"]) throw AwsException.InvalidArgument($"Input id {id} is not found in application {name}.");
                var position = configs[0].Member("InputStartingPositionConfiguration")?.Str("InputStartingPosition") ?? "NOW";
                if (position == "TRIM_HORIZON" && app.Input["KinesisFirehoseInput"] is not null)
                {
                    throw AwsException.InvalidArgument("TRIM_HORIZON is not a valid starting position for a Kinesis Firehose input.");
                }

                SqlProgram? program;
                try
                {
                    program = ApplicationProgram.Compile(app);
                }
                catch (AwsException e) when (e.Type == "CodeValidationException")
                {
                    throw new AwsException("InvalidApplicationConfigurationException", "The application code does not compile against its inputs and reference data: " + e.AwsMessage);
                }

                foreach (var output in app.Outputs)
                {
                    var stream = (string)output["Name"]!;
                    if (stream == ApplicationProgram.ErrorStream) continue;
                    if (program is null || !program.Streams.Any(s => s.Name == stream))
                    {
                        throw new AwsException("InvalidApplicationConfigurationException", $"Output {output["OutputId"]} names in-application stream {stream}, which the application code does not create.");
                    }
                }

                app.Input["InputStartingPositionConfiguration"] = new JsonObject { ["InputStartingPosition"] = position };
                app.StartingPosition = position;
                app.Status = ApplicationStatus.STARTING;
            }, ct);
        });
}
