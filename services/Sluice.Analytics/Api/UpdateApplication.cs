using System.Text.Json.Nodes;
using Sluice.Analytics.Applications;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>UpdateApplication: code, input, output, reference and logging updates in one version step; a running application restarts its pumps.</summary>
internal static class UpdateApplication
{
    public static AwsOperation Operation(AnalyticsContext ctx) => new("UpdateApplication",
        Shapes.VersionedChange()
            .Required("ApplicationUpdate", new StructureShape()
                .Optional("ApplicationCodeUpdate", Shapes.Code)
                .Optional("InputUpdates", new ListShape(new StructureShape()
                    .Required("InputId", Shapes.Id)
                    .Optional("NamePrefixUpdate", Shapes.InAppName)
                    .Optional("InputProcessingConfigurationUpdate", new StructureShape().Required("InputLambdaProcessorUpdate", Shapes.ResourceAndRoleUpdate))
                    .Optional("KinesisStreamsInputUpdate", Shapes.ResourceAndRoleUpdate)
                    .Optional("KinesisFirehoseInputUpdate", Shapes.ResourceAndRoleUpdate)
                    .Optional("InputSchemaUpdate", new StructureShape()
                        .Optional("RecordFormatUpdate", Shapes.RecordFormat)
                        .Optional("RecordEncodingUpdate", new StringShape { Pattern = "UTF-8" })
                        .Optional("RecordColumnUpdates", Shapes.RecordColumns))
                    .Optional("InputParallelismUpdate", new StructureShape().Optional("CountUpdate", new NumberShape(false) { Min = 1, Max = 64 }))))
                .Optional("OutputUpdates", new ListShape(new StructureShape()
                    .Required("OutputId", Shapes.Id)
                    .Optional("NameUpdate", Shapes.InAppName)
                    .Optional("KinesisStreamsOutputUpdate", Shapes.ResourceAndRoleUpdate)
                    .Optional("KinesisFirehoseOutputUpdate", Shapes.ResourceAndRoleUpdate)
                    .Optional("LambdaOutputUpdate", Shapes.ResourceAndRoleUpdate)
                    .Optional("DestinationSchemaUpdate", new StructureShape().Required("RecordFormatType", new StringShape { Enum = ["JSON", "CSV"] }))))
                .Optional("ReferenceDataSourceUpdates", new ListShape(new StructureShape()
                    .Required("ReferenceId", Shapes.Id)
                    .Optional("TableNameUpdate", Shapes.InAppName)
                    .Optional("S3ReferenceDataSourceUpdate", new StructureShape()
                        .Optional("BucketARNUpdate", Shapes.ResourceArn)
                        .Optional("FileKeyUpdate", Shapes.FileKey)
                        .Optional("ReferenceRoleARNUpdate", Shapes.RoleArn))
                    .Optional("ReferenceSchemaUpdate", Shapes.SourceSchema)))
                .Optional("CloudWatchLoggingOptionUpdates", new ListShape(new StructureShape()
                    .Required("CloudWatchLoggingOptionId", Shapes.Id)
                    .Optional("LogStreamARNUpdate", Shapes.ResourceArn)
                    .Optional("RoleARNUpdate", Shapes.RoleArn)))),
        async (req, w, ct) =>
        {
            var body = req.Body;
            var update = body.Member("ApplicationUpdate")!.Value;
            await ctx.Catalog.ConfigureAsync(body.Str("ApplicationName")!, body.Long("CurrentApplicationVersionId")!.Value, app =>
            {
                if (update.Str("ApplicationCodeUpdate") is { } code) app.Code = code;
                foreach (var item in update.Items("InputUpdates"))
                {
                    var id = item.Str("InputId")!;
                    if (app.Input is null || (string?)app.Input["InputId"] != id) throw AwsException.NotFound($"Input {id} is not found in application {app.Name}.");
                    ConfigurationUpdate.Apply(app.Input, (JsonObject)JsonNode.Parse(item.GetRawText())!, "InputId");
                    Configuration.CheckInput(app.Input);
                }

                foreach (var item in update.Items("OutputUpdates"))
                {
                    var output = Find(app.Outputs, "OutputId", item.Str("OutputId")!, app.Name, "Output");
                    ConfigurationUpdate.Apply(output, (JsonObject)JsonNode.Parse(item.GetRawText())!, "OutputId");
                    Configuration.CheckOutput(output);
                }

                foreach (var item in update.Items("ReferenceDataSourceUpdates"))
                {
                    var reference = Find(app.References, "ReferenceId", item.Str("ReferenceId")!, app.Name, "Reference data source");
                    ConfigurationUpdate.Apply(reference, (JsonObject)JsonNode.Parse(item.GetRawText())!, "ReferenceId");
                    Configuration.CheckReference(reference);
                }

                foreach (var item in update.Items("CloudWatchLoggingOptionUpdates"))
                {
                    var option = Find(app.Logging, "CloudWatchLoggingOptionId", item.Str("CloudWatchLoggingOptionId")!, app.Name, "CloudWatch logging option");
                    ConfigurationUpdate.Apply(option, (JsonObject)JsonNode.Parse(item.GetRawText())!, "CloudWatchLoggingOptionId");
                }

                Configuration.CheckCode(app);
            }, ct);
        });

    public static JsonObject Find(List<JsonObject> items, string idMember, string id, string application, string what)
    {
        foreach (var item in items)
        {
            if ((string?)item[idMember] == id) return item;
        }

        throw AwsException.NotFound($"{what} {id} is not found in application {application}.");
    }
}
