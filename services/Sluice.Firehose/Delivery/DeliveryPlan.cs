using System.Globalization;
using System.Text;
using System.Text.Json;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Destinations;

namespace Sluice.Firehose.Delivery;

/// <summary>An S3 location objects are written to: bucket, prefixes, compression, extension, time zone.</summary>
public sealed record S3Target(string Bucket, string? Prefix, string? ErrorOutputPrefix, CompressionFormat Compression, string FileExtension, TimeZoneInfo TimeZone)
{
    /// <summary>Reads an S3DestinationConfiguration / ExtendedS3DestinationConfiguration body.</summary>
    public static S3Target? From(JsonElement? config)
    {
        if (config is not { ValueKind: JsonValueKind.Object } c || !c.TryGetProperty("BucketARN", out var arn)) return null;
        var compression = ObjectCompression.Parse(DeliveryPlan.String(c, "CompressionFormat"));
        var extension = DeliveryPlan.String(c, "FileExtension");
        var zone = DeliveryPlan.String(c, "CustomTimeZone");
        return new S3Target(
            ObjectStores.BucketName(arn.GetString() ?? ""),
            DeliveryPlan.String(c, "Prefix"),
            DeliveryPlan.String(c, "ErrorOutputPrefix"),
            compression,
            string.IsNullOrEmpty(extension) ? ObjectCompression.DefaultExtension(compression) : extension,
            string.IsNullOrEmpty(zone) ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(zone));
    }

    /// <summary>The prefix failed records go under (AWS's default when ErrorOutputPrefix is not set).</summary>
    public string ErrorPrefix => string.IsNullOrEmpty(ErrorOutputPrefix) ? ObjectKeys.DefaultErrorPrefix(Prefix) : ErrorOutputPrefix;
}

/// <summary>How a record stream is split before transformation (the RecordDeAggregation processor).</summary>
public sealed record DeAggregation(bool Json, byte[] Delimiter);

/// <summary>
/// What a delivery loop does with a delivery stream's records, read once from its destination configuration:
/// buffering hints, processors, dynamic partitioning, the S3 targets (main, errors, source backup) and the non-S3 destination.
/// </summary>
public sealed class DeliveryPlan
{
    private DeliveryPlan(DeliveryStreamDefinition stream) => Stream = stream;

    public DeliveryStreamDefinition Stream { get; }

    /// <summary>Flush when this many bytes (before compression) are buffered.</summary>
    public long SizeBytes { get; private init; }

    /// <summary>Flush when the oldest buffered record has waited this long; zero flushes after every read.</summary>
    public TimeSpan Interval { get; private init; }

    /// <summary>Where records go as objects: the destination bucket (ExtendedS3) or the staging bucket (Redshift); null for HTTP endpoints.</summary>
    public S3Target? Objects { get; private init; }

    /// <summary>Where failed records go (processing-failed, partitioning-failed, http-endpoint-failed).</summary>
    public S3Target? Errors { get; private init; }

    /// <summary>Where the untransformed source records are copied (S3BackupMode Enabled).</summary>
    public S3Target? SourceBackup { get; private init; }

    /// <summary>HTTP endpoint with S3BackupMode AllData: every record is also written to the S3 configuration.</summary>
    public S3Target? AllDataBackup { get; private init; }

    public DeAggregation? DeAggregation { get; private init; }

    public bool HasLambda { get; private init; }

    public string? MetadataExtractionQuery { get; private init; }

    public bool DynamicPartitioning { get; private init; }

    /// <summary>The AppendDelimiterToRecord delimiter, or null when records are concatenated as they are.</summary>
    public byte[]? AppendDelimiter { get; private init; }

    public static DeliveryPlan For(DeliveryStreamDefinition stream)
    {
        var config = stream.DestinationConfiguration;
        var s3Configuration = Object(config, "S3Configuration");

        // Redshift buffers by its staging S3Configuration's hints; the others by their own.
        var hints = Object(stream.Destination == DestinationKind.Redshift ? s3Configuration : config, "BufferingHints");
        var size = Number(hints, "SizeInMBs") ?? 5;
        var interval = Number(hints, "IntervalInSeconds") ?? 300;

        S3Target? objects = null, errors = null, sourceBackup = null, allData = null;
        switch (stream.Destination)
        {
            case DestinationKind.ExtendedS3:
                objects = S3Target.From(config);
                errors = objects;
                if (String(config, "S3BackupMode") == "Enabled") sourceBackup = S3Target.From(Object(config, "S3BackupConfiguration"));
                break;
            case DestinationKind.Redshift:
                objects = S3Target.From(s3Configuration);
                errors = objects;
                if (String(config, "S3BackupMode") == "Enabled") sourceBackup = S3Target.From(Object(config, "S3BackupConfiguration"));
                break;
            case DestinationKind.HttpEndpoint:
                errors = S3Target.From(s3Configuration);
                if (String(config, "S3BackupMode") == "AllData") allData = errors;
                break;
        }

        DeAggregation? deAggregation = null;
        string? query = null;
        byte[]? append = null;
        var lambda = false;
        var processing = Object(config, "ProcessingConfiguration");
        if (processing is { } p && (!p.TryGetProperty("Enabled", out var enabled) || enabled.ValueKind != JsonValueKind.False)
            && p.TryGetProperty("Processors", out var processors) && processors.ValueKind == JsonValueKind.Array)
        {
            foreach (var processor in processors.EnumerateArray())
            {
                switch (String(processor, "Type"))
                {
                    case "RecordDeAggregation":
                        var delimiter = Parameter(processor, "Delimiter");
                        deAggregation = new DeAggregation(
                            Parameter(processor, "SubRecordType") != "DELIMITED",
                            string.IsNullOrEmpty(delimiter) ? "\n"u8.ToArray() : Convert.FromBase64String(delimiter));
                        break;
                    case "Lambda":
                        lambda = true;
                        break;
                    case "MetadataExtraction":
                        query = Parameter(processor, "MetadataExtractionQuery");
                        break;
                    case "AppendDelimiterToRecord":
                        append = Encoding.UTF8.GetBytes(Unescape(Parameter(processor, "Delimiter") ?? "\\n"));
                        break;
                }
            }
        }

        var partitioning = Object(config, "DynamicPartitioningConfiguration") is { } dp && dp.TryGetProperty("Enabled", out var on) && on.ValueKind == JsonValueKind.True;
        return new DeliveryPlan(stream)
        {
            SizeBytes = (long)(size * 1024 * 1024),
            Interval = TimeSpan.FromSeconds(interval),
            Objects = objects,
            Errors = errors,
            SourceBackup = sourceBackup,
            AllDataBackup = allData,
            DeAggregation = deAggregation,
            HasLambda = lambda,
            MetadataExtractionQuery = query,
            DynamicPartitioning = partitioning,
            AppendDelimiter = append,
        };
    }

    internal static string? String(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static JsonElement? Object(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : null;

    private static double? Number(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string? Parameter(JsonElement processor, string name)
    {
        if (!processor.TryGetProperty("Parameters", out var parameters) || parameters.ValueKind != JsonValueKind.Array) return null;
        foreach (var parameter in parameters.EnumerateArray())
        {
            if (String(parameter, "ParameterName") == name) return String(parameter, "ParameterValue");
        }

        return null;
    }

    /// <summary>The AppendDelimiterToRecord delimiter is written with escapes (<c>\n</c>, <c>\t</c>, <c>\r</c>, <c>\\</c>).</summary>
    private static string Unescape(string value)
    {
        if (!value.Contains('\\', StringComparison.Ordinal)) return value;
        var output = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '\\' || i + 1 == value.Length)
            {
                output.Append(value[i]);
                continue;
            }

            i++;
            output.Append(value[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => value[i] });
        }

        return output.ToString();
    }

    /// <summary>Sequence numbers are decimal strings: a longer one is larger.</summary>
    public static int CompareSequence(string a, string b) =>
        a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b);

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
