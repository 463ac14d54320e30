using System.Text;
using System.Text.Json;
using Sluice.Analytics.Input;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>
/// DiscoverInputSchema: samples a stream (ResourceARN), an S3 object (S3Configuration) or — a Sluice extension for
/// offline use — given RawInputRecords, and proposes an InputSchema with the parsed samples.
/// </summary>
internal static class DiscoverInputSchema
{
    public static AwsOperation Operation(AnalyticsContext ctx) => new("DiscoverInputSchema",
        new StructureShape()
            .Optional("ResourceARN", Shapes.ResourceArn)
            .Optional("RoleARN", Shapes.RoleArn)
            .Optional("InputStartingPositionConfiguration", Shapes.StartingPosition)
            .Optional("S3Configuration", new StructureShape()
                .Required("RoleARN", Shapes.RoleArn)
                .Required("BucketARN", Shapes.ResourceArn)
                .Required("FileKey", Shapes.FileKey))
            .Optional("InputProcessingConfiguration", Shapes.InputProcessing)
            .Optional("RawInputRecords", new ListShape(new StringShape())),
        async (req, w, ct) =>
        {
            var body = req.Body;
            List<byte[]> samples;
            if (body.Str("ResourceARN") is { } arn)
            {
                var stream = ResourceNames.BackingStreamOf(arn) ?? throw AwsException.InvalidArgument($"ResourceARN {arn} is not a Kinesis stream or Firehose delivery stream ARN.");
                try
                {
                    samples = await ctx.Discovery.SampleStreamAsync(stream, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw AwsException.InvalidArgument($"Cannot read samples from {arn}: {e.Message}");
                }
            }
            else if (body.Member("S3Configuration") is { } s3)
            {
                var bucket = ResourceNames.BucketOf(s3.Str("BucketARN")!) ?? throw AwsException.InvalidArgument($"BucketARN {s3.Str("BucketARN")} is not an S3 bucket ARN.");
                try
                {
                    samples = await ctx.Discovery.SampleObjectAsync(bucket, s3.Str("FileKey")!, ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    throw AwsException.InvalidArgument($"Cannot read s3://{bucket}/{s3.Str("FileKey")}: {e.Message}");
                }
            }
            else if (body.Member("RawInputRecords") is { } raw)
            {
                samples = raw.EnumerateArray().Select(r => Encoding.UTF8.GetBytes(r.GetString() ?? string.Empty)).ToList();
            }
            else
            {
                throw AwsException.InvalidArgument("Either ResourceARN (with RoleARN and InputStartingPositionConfiguration) or S3Configuration must be specified.");
            }

            var texts = samples.Select(s => Encoding.UTF8.GetString(s)).ToList();
            var inferred = SchemaDiscovery.Infer(texts);
            if (inferred is null)
            {
                throw new AwsException("UnableToDetectSchemaException", texts.Count == 0
                    ? "No records were found to detect a schema from."
                    : "Unable to detect a schema: the records are neither JSON objects nor delimited text with a consistent number of fields.");
            }

            var (schema, parsed) = inferred.Value;
            w.WritePropertyName("InputSchema");
            schema.WriteTo(w);
            w.WriteStartArray("ParsedInputRecords");
            foreach (var row in parsed)
            {
                w.WriteStartArray();
                foreach (var v in row)
                {
                    if (v is null) w.WriteNullValue();
                    else w.WriteStringValue(v);
                }

                w.WriteEndArray();
            }

            w.WriteEndArray();
            WriteStrings(w, "ProcessedInputRecords", texts);
            WriteStrings(w, "RawInputRecords", texts);
        });

    private static void WriteStrings(Utf8JsonWriter w, string name, List<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
