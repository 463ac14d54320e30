using System.Text.Json;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Api;

/// <summary>
/// DeliveryStreamDescription as AWS writes it: the stored configuration echoed with AWS's defaults filled in
/// (buffering, compression, encryption, logging, backup mode) and secrets (HTTP AccessKey, Redshift Password) left out.
/// </summary>
internal static class Descriptions
{
    public static void Write(Utf8JsonWriter w, DeliveryStreamState stream, long nowMs, bool withDestination)
    {
        w.WriteStartObject("DeliveryStreamDescription");
        w.WriteString("DeliveryStreamName", stream.Name);
        w.WriteString("DeliveryStreamARN", stream.Arn);
        w.WriteString("DeliveryStreamStatus", stream.Status);
        if (stream.Type == DeliveryStreamType.DirectPut)
        {
            w.WriteStartObject("DeliveryStreamEncryptionConfiguration");
            if (stream.EncryptionKeyType is { } keyType && stream.EncryptionStatusAt(nowMs) is not "DISABLED")
            {
                if (stream.EncryptionKeyArn is { } keyArn) w.WriteString("KeyARN", keyArn);
                w.WriteString("KeyType", keyType);
            }

            w.WriteString("Status", stream.EncryptionStatusAt(nowMs) ?? "DISABLED");
            w.WriteEndObject();
        }

        w.WriteString("DeliveryStreamType", stream.Type.ToString());
        w.WriteString("VersionId", stream.VersionId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteTimestamp("CreateTimestamp", stream.CreatedMs);
        if (stream.LastUpdateMs is { } updated) w.WriteTimestamp("LastUpdateTimestamp", updated);
        WriteSource(w, stream);
        w.WriteStartArray("Destinations");
        if (withDestination)
        {
            w.WriteStartObject();
            w.WriteString("DestinationId", DeliveryStreamCatalog.DestinationId);
            var config = stream.DestinationConfiguration;
            switch (stream.Destination)
            {
                case DestinationKind.ExtendedS3:
                    w.WritePropertyName("S3DestinationDescription");
                    WriteS3(w, config);
                    w.WritePropertyName("ExtendedS3DestinationDescription");
                    WriteExtendedS3(w, config);
                    break;
                case DestinationKind.HttpEndpoint:
                    w.WritePropertyName("HttpEndpointDestinationDescription");
                    WriteHttpEndpoint(w, config);
                    break;
                case DestinationKind.Redshift:
                    w.WritePropertyName("RedshiftDestinationDescription");
                    WriteRedshift(w, config);
                    break;
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteBoolean("HasMoreDestinations", false);
        w.WriteEndObject();
    }

    private static void WriteSource(Utf8JsonWriter w, DeliveryStreamState stream)
    {
        if (stream.Type == DeliveryStreamType.KinesisStreamAsSource)
        {
            w.WriteStartObject("Source");
            w.WriteStartObject("KinesisStreamSourceDescription");
            w.WriteString("KinesisStreamARN", stream.SourceStreamArn);
            w.WriteString("RoleARN", stream.SourceRoleArn);
            w.WriteTimestamp("DeliveryStartTimestamp", stream.DeliveryStartMs ?? stream.CreatedMs);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        else if (stream.ThroughputHintInMBs is { } hint)
        {
            w.WriteStartObject("Source");
            w.WriteStartObject("DirectPutSourceDescription");
            w.WriteNumber("ThroughputHintInMBs", hint);
            w.WriteEndObject();
            w.WriteEndObject();
        }
    }

    public static void WriteS3(Utf8JsonWriter w, JsonElement s3)
    {
        w.WriteStartObject();
        WriteS3Members(w, s3);
        w.WriteEndObject();
    }

    private static void WriteS3Members(Utf8JsonWriter w, JsonElement s3)
    {
        Copy(w, s3, "RoleARN");
        Copy(w, s3, "BucketARN");
        Copy(w, s3, "Prefix");
        Copy(w, s3, "ErrorOutputPrefix");
        WriteHints(w, s3);
        w.WriteString("CompressionFormat", s3.Str("CompressionFormat") ?? "UNCOMPRESSED");
        if (s3.Member("EncryptionConfiguration") is { } encryption && encryption.Member("KMSEncryptionConfig") is not null)
        {
            w.WritePropertyName("EncryptionConfiguration");
            encryption.WriteTo(w);
        }
        else
        {
            w.WriteStartObject("EncryptionConfiguration");
            w.WriteString("NoEncryptionConfig", "NoEncryption");
            w.WriteEndObject();
        }

        WriteLogging(w, s3);
    }

    private static void WriteExtendedS3(Utf8JsonWriter w, JsonElement config)
    {
        w.WriteStartObject();
        WriteS3Members(w, config);
        WriteProcessing(w, config);
        w.WriteString("S3BackupMode", config.Str("S3BackupMode") ?? "Disabled");
        if (config.Member("S3BackupConfiguration") is { } backup)
        {
            w.WritePropertyName("S3BackupDescription");
            WriteS3(w, backup);
        }

        Copy(w, config, "DataFormatConversionConfiguration");
        Copy(w, config, "DynamicPartitioningConfiguration");
        Copy(w, config, "FileExtension");
        Copy(w, config, "CustomTimeZone");
        w.WriteEndObject();
    }

    private static void WriteHttpEndpoint(Utf8JsonWriter w, JsonElement config)
    {
        w.WriteStartObject();
        var endpoint = config.GetProperty("EndpointConfiguration");
        w.WriteStartObject("EndpointConfiguration");
        Copy(w, endpoint, "Url");
        Copy(w, endpoint, "Name");
        w.WriteEndObject();
        WriteHints(w, config);
        WriteLogging(w, config);
        w.WriteStartObject("RequestConfiguration");
        var request = config.Member("RequestConfiguration");
        w.WriteString("ContentEncoding", request?.Str("ContentEncoding") ?? "NONE");
        if (request?.Member("CommonAttributes") is { } attributes)
        {
            w.WritePropertyName("CommonAttributes");
            attributes.WriteTo(w);
        }

        w.WriteEndObject();
        WriteProcessing(w, config);
        Copy(w, config, "RoleARN");
        WriteRetry(w, config, 300);
        w.WriteString("S3BackupMode", config.Str("S3BackupMode") ?? "FailedDataOnly");
        w.WritePropertyName("S3DestinationDescription");
        WriteS3(w, config.GetProperty("S3Configuration"));
        Copy(w, config, "SecretsManagerConfiguration");
        w.WriteEndObject();
    }

    private static void WriteRedshift(Utf8JsonWriter w, JsonElement config)
    {
        w.WriteStartObject();
        Copy(w, config, "RoleARN");
        Copy(w, config, "ClusterJDBCURL");
        Copy(w, config, "CopyCommand");
        Copy(w, config, "Username");
        WriteRetry(w, config, 3600);
        w.WritePropertyName("S3DestinationDescription");
        WriteS3(w, config.GetProperty("S3Configuration"));
        WriteProcessing(w, config);
        w.WriteString("S3BackupMode", config.Str("S3BackupMode") ?? "Disabled");
        if (config.Member("S3BackupConfiguration") is { } backup)
        {
            w.WritePropertyName("S3BackupDescription");
            WriteS3(w, backup);
        }

        WriteLogging(w, config);
        Copy(w, config, "SecretsManagerConfiguration");
        w.WriteEndObject();
    }

    private static void WriteHints(Utf8JsonWriter w, JsonElement config)
    {
        var hints = config.Member("BufferingHints");
        w.WriteStartObject("BufferingHints");
        w.WriteNumber("SizeInMBs", hints?.Int("SizeInMBs") ?? 5);
        w.WriteNumber("IntervalInSeconds", hints?.Int("IntervalInSeconds") ?? 300);
        w.WriteEndObject();
    }

    private static void WriteLogging(Utf8JsonWriter w, JsonElement config)
    {
        if (config.Member("CloudWatchLoggingOptions") is { } logging)
        {
            w.WritePropertyName("CloudWatchLoggingOptions");
            logging.WriteTo(w);
            return;
        }

        w.WriteStartObject("CloudWatchLoggingOptions");
        w.WriteBoolean("Enabled", false);
        w.WriteEndObject();
    }

    private static void WriteProcessing(Utf8JsonWriter w, JsonElement config)
    {
        if (config.Member("ProcessingConfiguration") is { } processing)
        {
            w.WritePropertyName("ProcessingConfiguration");
            processing.WriteTo(w);
            return;
        }

        w.WriteStartObject("ProcessingConfiguration");
        w.WriteBoolean("Enabled", false);
        w.WriteStartArray("Processors");
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteRetry(Utf8JsonWriter w, JsonElement config, int defaultSeconds)
    {
        w.WriteStartObject("RetryOptions");
        w.WriteNumber("DurationInSeconds", config.Member("RetryOptions")?.Int("DurationInSeconds") ?? defaultSeconds);
        w.WriteEndObject();
    }

    private static void Copy(Utf8JsonWriter w, JsonElement config, string name)
    {
        if (config.Member(name) is not { } value) return;
        w.WritePropertyName(name);
        value.WriteTo(w);
    }
}
