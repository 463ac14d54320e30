using Sluice.AwsProtocol.Validation;

namespace Sluice.Firehose.Api;

/// <summary>
/// The destination configuration shapes Sluice delivers to, in their Create form and (every member optional) their
/// UpdateDestination form, with the ranges the AWS model gives them.
/// </summary>
internal static class DestinationShapes
{
    public static readonly string[] CompressionFormats = ["UNCOMPRESSED", "GZIP", "ZIP", "Snappy", "HADOOP_SNAPPY"];

    /// <summary>Destination kinds AWS has that Sluice does not deliver to (accepted by shape, refused by InvalidArgumentException).</summary>
    public static readonly string[] Unsupported =
    [
        "ElasticsearchDestinationConfiguration", "AmazonopensearchserviceDestinationConfiguration", "AmazonOpenSearchServerlessDestinationConfiguration",
        "SplunkDestinationConfiguration", "SnowflakeDestinationConfiguration", "IcebergDestinationConfiguration", "DatabaseSourceConfiguration",
    ];

    public static readonly string[] UnsupportedUpdates =
    [
        "ElasticsearchDestinationUpdate", "AmazonopensearchserviceDestinationUpdate", "AmazonOpenSearchServerlessDestinationUpdate",
        "SplunkDestinationUpdate", "SnowflakeDestinationUpdate", "IcebergDestinationUpdate",
    ];

    public static StructureShape BufferingHints(int maxSizeMBs) => new StructureShape()
        .Optional("SizeInMBs", Input.Int(1, maxSizeMBs))
        .Optional("IntervalInSeconds", Input.Int(0, 900));

    public static StructureShape EncryptionConfiguration => new StructureShape()
        .Optional("NoEncryptionConfig", new StringShape { Enum = ["NoEncryption"] })
        .Optional("KMSEncryptionConfig", new StructureShape().Required("AWSKMSKeyARN", Input.KmsKeyArn));

    public static StructureShape CloudWatchLoggingOptions => new StructureShape()
        .Optional("Enabled", new BooleanShape())
        .Optional("LogGroupName", new StringShape { MinLength = 0, MaxLength = 512, Pattern = @"[\.\-_/#A-Za-z0-9]*" })
        .Optional("LogStreamName", new StringShape { MinLength = 0, MaxLength = 512, Pattern = @"[^:*]*" });

    public static StructureShape ProcessingConfiguration => new StructureShape()
        .Optional("Enabled", new BooleanShape())
        .Optional("Processors", new ListShape(new StructureShape()
            .Required("Type", new StringShape { Enum = ["RecordDeAggregation", "Decompression", "CloudWatchLogProcessing", "Lambda", "MetadataExtraction", "AppendDelimiterToRecord"] })
            .Optional("Parameters", new ListShape(new StructureShape()
                .Required("ParameterName", new StringShape
                {
                    Enum = ["LambdaArn", "NumberOfRetries", "MetadataExtractionQuery", "JsonParsingEngine", "RoleArn", "BufferSizeInMBs", "BufferIntervalInSeconds", "SubRecordType", "Delimiter", "CompressionFormat", "DataMessageExtraction"],
                })
                .Required("ParameterValue", new StringShape { MinLength = 1, MaxLength = 5120, Pattern = "^(?!\\s*$).+" })))));

    public static StructureShape RetryOptions => new StructureShape().Optional("DurationInSeconds", Input.Int(0, 7200));

    public static StructureShape SecretsManagerConfiguration => new StructureShape()
        .Optional("SecretARN", new StringShape { MinLength = 1, MaxLength = 2048, Pattern = @"arn:.*:secretsmanager:[a-zA-Z0-9\-]+:\d{12}:secret:[a-zA-Z0-9\-/_+=.@]+" })
        .Optional("RoleARN", Input.RoleArn)
        .Required("Enabled", new BooleanShape());

    /// <summary>S3DestinationConfiguration (or S3DestinationUpdate when <paramref name="update"/>).</summary>
    public static StructureShape S3(bool update) => Add(new StructureShape(), update)
        .Member("RoleARN", Input.RoleArn, required: true)
        .Member("BucketARN", Input.BucketArn, required: true)
        .Member("Prefix", Input.Text(0, 1024))
        .Member("ErrorOutputPrefix", Input.Text(0, 1024))
        .Member("BufferingHints", BufferingHints(128))
        .Member("CompressionFormat", new StringShape { Enum = CompressionFormats })
        .Member("EncryptionConfiguration", EncryptionConfiguration)
        .Member("CloudWatchLoggingOptions", CloudWatchLoggingOptions)
        .Shape;

    /// <summary>ExtendedS3DestinationConfiguration (or ExtendedS3DestinationUpdate).</summary>
    public static StructureShape ExtendedS3(bool update) => Add(S3(update), update)
        .Member("ProcessingConfiguration", ProcessingConfiguration)
        .Member("S3BackupMode", new StringShape { Enum = ["Disabled", "Enabled"] })
        .Member(update ? "S3BackupUpdate" : "S3BackupConfiguration", S3(update))
        .Member("DataFormatConversionConfiguration", new StructureShape().Optional("Enabled", new BooleanShape()))
        .Member("DynamicPartitioningConfiguration", new StructureShape().Optional("RetryOptions", RetryOptions).Optional("Enabled", new BooleanShape()))
        .Member("FileExtension", new StringShape { MinLength = 0, MaxLength = 128, Pattern = @"^$|\.[0-9a-z!\-_.*'()]+" })
        .Member("CustomTimeZone", Input.Text(0, 50))
        .Shape;

    /// <summary>HttpEndpointDestinationConfiguration (or HttpEndpointDestinationUpdate). Sluice also accepts http:// URLs.</summary>
    public static StructureShape HttpEndpoint(bool update) => Add(new StructureShape(), update)
        .Member("EndpointConfiguration", new StructureShape()
            .Required("Url", new StringShape { MinLength = 1, MaxLength = 1000, Pattern = "https?://.*" })
            .Optional("Name", new StringShape { MinLength = 1, MaxLength = 256, Pattern = "^(?!\\s*$).+" })
            .Optional("AccessKey", new StringShape { MinLength = 0, MaxLength = 4096, Pattern = ".*" }), required: true)
        .Member("BufferingHints", BufferingHints(64))
        .Member("CloudWatchLoggingOptions", CloudWatchLoggingOptions)
        .Member("RequestConfiguration", new StructureShape()
            .Optional("ContentEncoding", new StringShape { Enum = ["NONE", "GZIP"] })
            .Optional("CommonAttributes", new ListShape(new StructureShape()
                .Required("AttributeName", new StringShape { MinLength = 1, MaxLength = 256, Pattern = "^(?!\\s*$).+" })
                .Required("AttributeValue", new StringShape { MinLength = 0, MaxLength = 1024 })) { MinLength = 0, MaxLength = 50 }))
        .Member("ProcessingConfiguration", ProcessingConfiguration)
        .Member("RoleARN", Input.RoleArn)
        .Member("RetryOptions", RetryOptions)
        .Member("S3BackupMode", new StringShape { Enum = ["FailedDataOnly", "AllData"] })
        .Member(update ? "S3Update" : "S3Configuration", S3(update), required: true)
        .Member("SecretsManagerConfiguration", SecretsManagerConfiguration)
        .Shape;

    /// <summary>RedshiftDestinationConfiguration (or RedshiftDestinationUpdate); Sluice's cluster is PostgreSQL, so jdbc:postgresql:// is accepted too.</summary>
    public static StructureShape Redshift(bool update) => Add(new StructureShape(), update)
        .Member("RoleARN", Input.RoleArn, required: true)
        .Member("ClusterJDBCURL", new StringShape { MinLength = 1, MaxLength = 512, Pattern = @"jdbc:(redshift|postgresql)://((?!-)[A-Za-z0-9-]{1,63}(?<!-)\.)*((?!-)[A-Za-z0-9-]{1,63}(?<!-))(:\d{1,5})?/[a-zA-Z0-9_$]+.*" }, required: true)
        .Member("CopyCommand", new StructureShape()
            .Required("DataTableName", Input.Text(1, 512))
            .Optional("DataTableColumns", Input.Text(0, 204800))
            .Optional("CopyOptions", Input.Text(0, 204800)), required: true)
        .Member("Username", new StringShape { MinLength = 1, MaxLength = 512 })
        .Member("Password", new StringShape { MinLength = 6, MaxLength = 512 })
        .Member("RetryOptions", RetryOptions)
        .Member(update ? "S3Update" : "S3Configuration", S3(update), required: true)
        .Member("ProcessingConfiguration", ProcessingConfiguration)
        .Member("S3BackupMode", new StringShape { Enum = ["Disabled", "Enabled"] })
        .Member(update ? "S3BackupUpdate" : "S3BackupConfiguration", S3(update))
        .Member("CloudWatchLoggingOptions", CloudWatchLoggingOptions)
        .Member("SecretsManagerConfiguration", SecretsManagerConfiguration)
        .Shape;

    private static Builder Add(StructureShape shape, bool update) => new(shape, update);

    /// <summary>Adds members as required in the Create form and optional in the Update form.</summary>
    private readonly record struct Builder(StructureShape Shape, bool Update)
    {
        public Builder Member(string name, Shape shape, bool required = false)
        {
            if (required && !Update) Shape.Required(name, shape);
            else Shape.Optional(name, shape);
            return this;
        }
    }
}
