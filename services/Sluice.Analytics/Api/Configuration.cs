using System.Text.Json.Nodes;
using Sluice.Analytics.Applications;
using Sluice.Analytics.Input;
using Sluice.AwsProtocol;

namespace Sluice.Analytics.Api;

/// <summary>Semantic checks of inputs, outputs and reference sources that the model's shapes cannot express.</summary>
internal static class Configuration
{
    public const int MaxOutputs = 3;

    public static void CheckInput(JsonObject input)
    {
        var streams = input["KinesisStreamsInput"]?["ResourceARN"];
        var firehose = input["KinesisFirehoseInput"]?["ResourceARN"];
        if ((streams is null) == (firehose is null))
        {
            throw AwsException.InvalidArgument("Exactly one of KinesisStreamsInput or KinesisFirehoseInput must be specified for an input.");
        }

        if (streams is not null && ResourceNames.StreamOf((string)streams!) is null)
        {
            throw AwsException.InvalidArgument($"KinesisStreamsInput.ResourceARN {streams} is not a Kinesis stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>).");
        }

        if (firehose is not null && ResourceNames.DeliveryStreamOf((string)firehose!) is null)
        {
            throw AwsException.InvalidArgument($"KinesisFirehoseInput.ResourceARN {firehose} is not a Firehose delivery stream ARN (arn:aws:firehose:<region>:<account>:deliverystream/<name>).");
        }

        if (input["InputParallelism"]?["Count"] is { } count && ((int)count < 1 || (int)count > 64))
        {
            throw AwsException.InvalidArgument($"InputParallelism.Count {count} must be between 1 and 64.");
        }

        CheckSchema(input["InputSchema"] as JsonObject, "InputSchema");
    }

    public static void CheckOutput(JsonObject output)
    {
        var kinds = 0;
        foreach (var kind in (string[])["KinesisStreamsOutput", "KinesisFirehoseOutput", "LambdaOutput"])
        {
            if (output[kind] is not JsonObject destination) continue;
            kinds++;
            var arn = (string?)destination["ResourceARN"] ?? string.Empty;
            var ok = kind switch
            {
                "KinesisStreamsOutput" => ResourceNames.StreamOf(arn) is not null,
                "KinesisFirehoseOutput" => ResourceNames.DeliveryStreamOf(arn) is not null,
                _ => arn.StartsWith("arn:aws:lambda:", StringComparison.Ordinal),
            };
            if (!ok) throw AwsException.InvalidArgument($"{kind}.ResourceARN {arn} is not a valid ARN for that destination.");
        }

        if (kinds != 1)
        {
            throw AwsException.InvalidArgument("Exactly one of KinesisStreamsOutput, KinesisFirehoseOutput or LambdaOutput must be specified for an output.");
        }
    }

    public static void CheckReference(JsonObject reference)
    {
        if (reference["S3ReferenceDataSource"] is not JsonObject s3)
        {
            throw AwsException.InvalidArgument("S3ReferenceDataSource must be specified for a reference data source.");
        }

        if (ResourceNames.BucketOf((string?)s3["BucketARN"] ?? string.Empty) is null)
        {
            throw AwsException.InvalidArgument($"S3ReferenceDataSource.BucketARN {s3["BucketARN"]} is not an S3 bucket ARN (arn:aws:s3:::<bucket>).");
        }

        CheckSchema(reference["ReferenceSchema"] as JsonObject, "ReferenceSchema");
    }

    /// <summary>Format parameters and column types; JSON mappings must be paths the mapper understands.</summary>
    public static void CheckSchema(JsonObject? schema, string member)
    {
        if (schema is null) throw AwsException.InvalidArgument($"{member} must be specified.");
        var format = schema["RecordFormat"];
        var type = (string?)format?["RecordFormatType"];
        if (type == "CSV" && format?["MappingParameters"]?["CSVMappingParameters"] is null)
        {
            throw AwsException.InvalidArgument($"{member}.RecordFormat of type CSV needs MappingParameters.CSVMappingParameters.");
        }

        if (type == "JSON")
        {
            var rowPath = (string?)format?["MappingParameters"]?["JSONMappingParameters"]?["RecordRowPath"] ?? "$";
            if (!JsonPath.TryParse(rowPath, out _, out var error)) throw AwsException.InvalidArgument($"{member} RecordRowPath '{rowPath}': {error}");
            if (schema["RecordColumns"] is JsonArray columns)
            {
                foreach (var column in columns)
                {
                    var mapping = (string?)column?["Mapping"];
                    if (mapping is null) continue;
                    if (!JsonPath.TryParse(mapping, out _, out error)) throw AwsException.InvalidArgument($"{member} column {column?["Name"]} Mapping '{mapping}': {error}");
                }
            }
        }

        ApplicationProgram.Columns(schema);
    }

    /// <summary>Validates the application's code against its configuration (CodeValidationException on SQL errors).</summary>
    public static void CheckCode(Application app) => ApplicationProgram.Validate(app);
}
