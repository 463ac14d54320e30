using System.Text.Json;
using System.Text.Json.Nodes;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>The KinesisAnalytics_20150814 model's member shapes, and typed reads of members that already passed validation.</summary>
internal static class Shapes
{
    public const string IdPattern = "[a-zA-Z0-9_.-]+";

    public static StringShape ApplicationName => new() { MinLength = 1, MaxLength = 128, Pattern = IdPattern };

    public static StringShape Description => new() { MinLength = 0, MaxLength = 1024 };

    public static StringShape Code => new() { MinLength = 0, MaxLength = 102400 };

    public static NumberShape VersionId => new(true) { Min = 1, Max = 999999999 };

    public static StringShape Id => new() { MinLength = 1, MaxLength = 50, Pattern = IdPattern };

    public static StringShape ResourceArn => new() { MinLength = 1, MaxLength = 2048, Pattern = "arn:.*" };

    public static StringShape RoleArn => new() { MinLength = 1, MaxLength = 2048, Pattern = @"arn:.*" };

    public static StringShape InAppName => new() { MinLength = 1, MaxLength = 32 };

    public static StringShape FileKey => new() { MinLength = 1, MaxLength = 1024 };

    public static StructureShape ResourceAndRole => new StructureShape().Required("ResourceARN", ResourceArn).Required("RoleARN", RoleArn);

    public static StructureShape ResourceAndRoleUpdate => new StructureShape().Optional("ResourceARNUpdate", ResourceArn).Optional("RoleARNUpdate", RoleArn);

    public static StructureShape RecordFormat => new StructureShape()
        .Required("RecordFormatType", new StringShape { Enum = ["JSON", "CSV"] })
        .Optional("MappingParameters", new StructureShape()
            .Optional("JSONMappingParameters", new StructureShape().Required("RecordRowPath", new StringShape { MinLength = 1, MaxLength = 65535, Pattern = @"\$\S*" }))
            .Optional("CSVMappingParameters", new StructureShape()
                .Required("RecordRowDelimiter", new StringShape { MinLength = 1 })
                .Required("RecordColumnDelimiter", new StringShape { MinLength = 1 })));

    public static ListShape RecordColumns => new(new StructureShape()
        .Optional("Mapping", new StringShape { MinLength = 0, MaxLength = 65535 })
        .Required("Name", new StringShape { MinLength = 1, MaxLength = 256, Pattern = @"[^-\s<>&]*" })
        .Required("SqlType", new StringShape { MinLength = 1, MaxLength = 100 }))
    { MinLength = 1, MaxLength = 1000 };

    public static StructureShape SourceSchema => new StructureShape()
        .Required("RecordFormat", RecordFormat)
        .Optional("RecordEncoding", new StringShape { Pattern = "UTF-8" })
        .Required("RecordColumns", RecordColumns);

    public static StructureShape StartingPosition => new StructureShape()
        .Optional("InputStartingPosition", new StringShape { Enum = ["NOW", "TRIM_HORIZON", "LAST_STOPPED_POINT"] });

    public static StructureShape InputProcessing => new StructureShape().Required("InputLambdaProcessor", ResourceAndRole);

    public static StructureShape Input => new StructureShape()
        .Required("NamePrefix", InAppName)
        .Optional("InputProcessingConfiguration", InputProcessing)
        .Optional("KinesisStreamsInput", ResourceAndRole)
        .Optional("KinesisFirehoseInput", ResourceAndRole)
        .Optional("InputParallelism", new StructureShape().Optional("Count", new NumberShape(false) { Min = 1, Max = 64 }))
        .Required("InputSchema", SourceSchema);

    public static StructureShape Output => new StructureShape()
        .Required("Name", InAppName)
        .Optional("KinesisStreamsOutput", ResourceAndRole)
        .Optional("KinesisFirehoseOutput", ResourceAndRole)
        .Optional("LambdaOutput", ResourceAndRole)
        .Required("DestinationSchema", new StructureShape().Required("RecordFormatType", new StringShape { Enum = ["JSON", "CSV"] }));

    public static StructureShape ReferenceDataSource => new StructureShape()
        .Required("TableName", InAppName)
        .Optional("S3ReferenceDataSource", new StructureShape()
            .Required("BucketARN", ResourceArn)
            .Required("FileKey", FileKey)
            .Required("ReferenceRoleARN", RoleArn))
        .Required("ReferenceSchema", SourceSchema);

    public static StructureShape LoggingOption => new StructureShape()
        .Required("LogStreamARN", ResourceArn)
        .Required("RoleARN", RoleArn);

    public static ListShape Tags => new(new StructureShape()
        .Required("Key", new StringShape { MinLength = 1, MaxLength = 128 })
        .Optional("Value", new StringShape { MinLength = 0, MaxLength = 256 }))
    { MinLength = 1, MaxLength = 200 };

    /// <summary>Name + CurrentApplicationVersionId: what every configuration change carries.</summary>
    public static StructureShape VersionedChange() => new StructureShape()
        .Required("ApplicationName", ApplicationName)
        .Required("CurrentApplicationVersionId", VersionId);

    public static string? Str(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) ? v.GetString() : null;

    public static long? Long(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) ? InputValidator.ReadWholeNumber(v) : null;

    public static JsonElement? Member(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) ? v : null;

    public static DateTimeOffset? Time(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) && InputValidator.TryParseTimestamp(v, out var t) ? t : null;

    /// <summary>A member as a mutable JSON tree, for storing configuration as the caller wrote it.</summary>
    public static JsonObject? Node(this JsonElement body, string name) =>
        body.Member(name) is { } v ? JsonNode.Parse(v.GetRawText()) as JsonObject : null;

    public static IEnumerable<JsonElement> Items(this JsonElement body, string name) =>
        body.Member(name) is { ValueKind: JsonValueKind.Array } v ? v.EnumerateArray() : [];

    public static void WriteTimestamp(this Utf8JsonWriter w, string name, long epochMs) => w.WriteNumber(name, epochMs / 1000m);
}
