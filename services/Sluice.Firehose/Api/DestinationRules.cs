using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.AwsProtocol;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Api;

/// <summary>The checks the AWS model cannot express (combinations, prefixes, one-way switches) and UpdateDestination's merge.</summary>
internal static class DestinationRules
{
    /// <summary>The member holding a Create configuration of each kind Sluice delivers to.</summary>
    public static string CreateMember(DestinationKind kind) => kind switch
    {
        DestinationKind.ExtendedS3 => "ExtendedS3DestinationConfiguration",
        DestinationKind.HttpEndpoint => "HttpEndpointDestinationConfiguration",
        _ => "RedshiftDestinationConfiguration",
    };

    /// <summary>Checks a complete (Create-shaped) configuration.</summary>
    public static void Check(DestinationKind kind, JsonElement config)
    {
        switch (kind)
        {
            case DestinationKind.ExtendedS3:
                CheckS3(config, "ExtendedS3DestinationConfiguration");
                var dynamic = config.Member("DynamicPartitioningConfiguration")?.Bool("Enabled") ?? false;
                S3PrefixRules.Validate(config.Str("Prefix"), config.Str("ErrorOutputPrefix"), dynamic);
                if (config.Member("S3BackupConfiguration") is { } backup)
                {
                    CheckS3(backup, "S3BackupConfiguration");
                    S3PrefixRules.Validate(backup.Str("Prefix"), backup.Str("ErrorOutputPrefix"), false);
                }

                if (config.Str("S3BackupMode") == "Enabled" && config.Member("S3BackupConfiguration") is null)
                {
                    throw AwsException.InvalidArgument("S3BackupConfiguration is required when S3BackupMode is Enabled.");
                }

                if (config.Member("DataFormatConversionConfiguration") is { } conversion && (conversion.Bool("Enabled") ?? true))
                {
                    if ((config.Str("CompressionFormat") ?? "UNCOMPRESSED") != "UNCOMPRESSED")
                    {
                        throw AwsException.InvalidArgument("CompressionFormat must be UNCOMPRESSED when data format conversion is enabled.");
                    }

                    if (config.Member("BufferingHints")?.Int("SizeInMBs") is < 64)
                    {
                        throw AwsException.InvalidArgument("BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled.");
                    }
                }

                break;
            case DestinationKind.HttpEndpoint:
                CheckHints(config, "HttpEndpointDestinationConfiguration");
                CheckIntermediate(config.GetProperty("S3Configuration"), "HttpEndpointDestinationConfiguration.S3Configuration", literal: false);
                break;
            case DestinationKind.Redshift:
                var s3 = config.GetProperty("S3Configuration");
                CheckIntermediate(s3, "RedshiftDestinationConfiguration.S3Configuration", literal: true);
                if (s3.Str("CompressionFormat") is "ZIP" or "Snappy" or "HADOOP_SNAPPY")
                {
                    throw AwsException.InvalidArgument($"CompressionFormat {s3.Str("CompressionFormat")} is not supported for the Redshift destination: use UNCOMPRESSED or GZIP.");
                }

                if (config.Member("S3BackupConfiguration") is { } redshiftBackup) CheckS3(redshiftBackup, "S3BackupConfiguration");
                if (config.Str("S3BackupMode") == "Enabled" && config.Member("S3BackupConfiguration") is null)
                {
                    throw AwsException.InvalidArgument("S3BackupConfiguration is required when S3BackupMode is Enabled.");
                }

                if (config.Str("Username") is null && config.Member("SecretsManagerConfiguration")?.Bool("Enabled") != true)
                {
                    throw AwsException.InvalidArgument("Username and Password are required for the Redshift destination unless SecretsManagerConfiguration is enabled.");
                }

                break;
        }
    }

    /// <summary>
    /// The configuration after an UpdateDestination: the update merged into the current one when the kind stays,
    /// otherwise the update alone (then it must be complete). One-way settings are enforced here.
    /// </summary>
    public static JsonElement Merge(DestinationKind currentKind, JsonElement current, DestinationKind newKind, JsonElement update)
    {
        var incoming = Renamed(update);
        if (currentKind != newKind)
        {
            Sluice.AwsProtocol.Validation.InputValidator.Validate(Parse(incoming), NewShape(newKind));
            return Parse(incoming);
        }

        var merged = (JsonObject)JsonNode.Parse(current.GetRawText())!;
        MergeInto(merged, incoming);
        var result = Parse(merged);
        if (newKind is DestinationKind.ExtendedS3 or DestinationKind.Redshift && current.Str("S3BackupMode") == "Enabled" && result.Str("S3BackupMode") == "Disabled")
        {
            throw AwsException.InvalidArgument("S3BackupMode cannot be changed from Enabled to Disabled: source record backup cannot be disabled once enabled.");
        }

        if (newKind == DestinationKind.ExtendedS3)
        {
            var was = current.Member("DynamicPartitioningConfiguration")?.Bool("Enabled") ?? false;
            var now = result.Member("DynamicPartitioningConfiguration")?.Bool("Enabled") ?? false;
            if (was != now)
            {
                throw AwsException.InvalidArgument(was
                    ? "Dynamic partitioning cannot be disabled once enabled."
                    : "Dynamic partitioning can only be enabled when the delivery stream is created.");
            }
        }

        return result;
    }

    /// <summary>A legacy S3DestinationConfiguration as the extended configuration it is stored as (the same members).</summary>
    public static JsonElement FromLegacyS3(JsonElement s3) => s3.Clone();

    private static Sluice.AwsProtocol.Validation.StructureShape NewShape(DestinationKind kind) => kind switch
    {
        DestinationKind.ExtendedS3 => DestinationShapes.ExtendedS3(update: false),
        DestinationKind.HttpEndpoint => DestinationShapes.HttpEndpoint(update: false),
        _ => DestinationShapes.Redshift(update: false),
    };

    // Update members named differently from their Create form.
    private static JsonObject Renamed(JsonElement update)
    {
        var node = (JsonObject)JsonNode.Parse(update.GetRawText())!;
        Rename(node, "S3Update", "S3Configuration");
        Rename(node, "S3BackupUpdate", "S3BackupConfiguration");
        return node;
    }

    private static void Rename(JsonObject node, string from, string to)
    {
        if (node[from] is { } value)
        {
            node.Remove(from);
            node[to] = value;
        }
    }

    // Structures merge member by member; anything else (strings, numbers, lists) is replaced.
    private static void MergeInto(JsonObject target, JsonObject update)
    {
        foreach (var (name, value) in update.ToList())
        {
            if (value is null) continue;
            update.Remove(name);
            if (value is JsonObject inner && target[name] is JsonObject existing) MergeInto(existing, inner);
            else target[name] = value;
        }
    }

    private static JsonElement Parse(JsonNode node) => JsonDocument.Parse(node.ToJsonString()).RootElement.Clone();

    private static void CheckIntermediate(JsonElement s3, string field, bool literal)
    {
        CheckS3(s3, field);
        if (literal) S3PrefixRules.ValidateLiteral(s3.Str("Prefix"), s3.Str("ErrorOutputPrefix"), "Redshift");
        else S3PrefixRules.Validate(s3.Str("Prefix"), s3.Str("ErrorOutputPrefix"), false);
    }

    private static void CheckS3(JsonElement s3, string field)
    {
        CheckHints(s3, field);
        if (s3.Member("EncryptionConfiguration") is { } encryption && encryption.Member("NoEncryptionConfig") is not null && encryption.Member("KMSEncryptionConfig") is not null)
        {
            throw AwsException.InvalidArgument($"{field}.EncryptionConfiguration can have NoEncryptionConfig or KMSEncryptionConfig, not both.");
        }
    }

    // AWS takes BufferingHints with both members or neither.
    private static void CheckHints(JsonElement config, string field)
    {
        if (config.Member("BufferingHints") is not { } hints) return;
        var size = hints.Int("SizeInMBs");
        var interval = hints.Int("IntervalInSeconds");
        if ((size is null) != (interval is null))
        {
            throw AwsException.InvalidArgument($"{field}.BufferingHints must specify both SizeInMBs and IntervalInSeconds, or neither.");
        }
    }
}
