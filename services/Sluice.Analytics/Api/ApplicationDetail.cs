using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.Analytics.Applications;

namespace Sluice.Analytics.Api;

/// <summary>Writes ApplicationDetail / ApplicationSummary as DescribeApplication and ListApplications answer them.</summary>
internal static class ApplicationDetail
{
    public static void WriteSummary(Utf8JsonWriter w, ApplicationCatalog catalog, Application app)
    {
        w.WriteStartObject();
        w.WriteString("ApplicationName", app.Name);
        w.WriteString("ApplicationARN", catalog.Arn(app.Name));
        w.WriteString("ApplicationStatus", app.Status.ToString());
        w.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter w, ApplicationCatalog catalog, Application app)
    {
        w.WriteStartObject("ApplicationDetail");
        w.WriteString("ApplicationName", app.Name);
        if (app.Description is not null) w.WriteString("ApplicationDescription", app.Description);
        w.WriteString("ApplicationARN", catalog.Arn(app.Name));
        w.WriteString("ApplicationStatus", app.Status.ToString());
        w.WriteTimestamp("CreateTimestamp", app.CreatedMs);
        w.WriteTimestamp("LastUpdateTimestamp", app.UpdatedMs);

        w.WriteStartArray("InputDescriptions");
        if (app.Input is { } input)
        {
            var d = new JsonObject { ["InputId"] = (string?)input["InputId"], ["NamePrefix"] = (string?)input["NamePrefix"] };
            var names = new JsonArray();
            foreach (var n in app.InAppStreamNames()) names.Add(n);
            d["InAppStreamNames"] = names;
            if (input["InputProcessingConfiguration"]?["InputLambdaProcessor"] is { } lambda)
            {
                d["InputProcessingConfigurationDescription"] = new JsonObject { ["InputLambdaProcessorDescription"] = lambda.DeepClone() };
            }

            Copy(input, d, "KinesisStreamsInput", "KinesisStreamsInputDescription");
            Copy(input, d, "KinesisFirehoseInput", "KinesisFirehoseInputDescription");
            Copy(input, d, "InputSchema", "InputSchema");
            d["InputParallelism"] = new JsonObject { ["Count"] = (int?)input["InputParallelism"]?["Count"] ?? 1 };
            Copy(input, d, "InputStartingPositionConfiguration", "InputStartingPositionConfiguration");
            d.WriteTo(w);
        }

        w.WriteEndArray();

        w.WriteStartArray("OutputDescriptions");
        foreach (var output in app.Outputs)
        {
            var d = new JsonObject { ["OutputId"] = (string?)output["OutputId"], ["Name"] = (string?)output["Name"] };
            Copy(output, d, "KinesisStreamsOutput", "KinesisStreamsOutputDescription");
            Copy(output, d, "KinesisFirehoseOutput", "KinesisFirehoseOutputDescription");
            Copy(output, d, "LambdaOutput", "LambdaOutputDescription");
            Copy(output, d, "DestinationSchema", "DestinationSchema");
            d.WriteTo(w);
        }

        w.WriteEndArray();

        w.WriteStartArray("ReferenceDataSourceDescriptions");
        foreach (var reference in app.References)
        {
            var d = new JsonObject { ["ReferenceId"] = (string?)reference["ReferenceId"], ["TableName"] = (string?)reference["TableName"] };
            Copy(reference, d, "S3ReferenceDataSource", "S3ReferenceDataSourceDescription");
            Copy(reference, d, "ReferenceSchema", "ReferenceSchema");
            d.WriteTo(w);
        }

        w.WriteEndArray();

        w.WriteStartArray("CloudWatchLoggingOptionDescriptions");
        foreach (var option in app.Logging) option.WriteTo(w);
        w.WriteEndArray();

        w.WriteString("ApplicationCode", app.Code);
        w.WriteNumber("ApplicationVersionId", app.Version);
        w.WriteEndObject();
    }

    private static void Copy(JsonObject from, JsonObject to, string name, string asName)
    {
        if (from[name] is { } value) to[asName] = value.DeepClone();
    }
}
