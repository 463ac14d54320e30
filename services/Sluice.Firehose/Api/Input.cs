using System.Text.Json;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Firehose.Api;

/// <summary>Shapes of the Firehose model (botocore firehose 2015-08-04) shared by operations, and typed reads of validated members.</summary>
internal static class Input
{
    public static StringShape DeliveryStreamName => new() { MinLength = 1, MaxLength = 64, Pattern = "[a-zA-Z0-9_.-]+" };

    public static StringShape RoleArn => new() { MinLength = 1, MaxLength = 512, Pattern = @"arn:.*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+" };

    public static StringShape BucketArn => new() { MinLength = 1, MaxLength = 2048, Pattern = @"arn:.*:s3:::[\w\.\-]{1,255}" };

    public static StringShape KmsKeyArn => new() { MinLength = 1, MaxLength = 512, Pattern = @"arn:.*:kms:[a-zA-Z0-9\-]+:\d{12}:(key|alias)/[a-zA-Z_0-9+=,.@\-_/]+" };

    public static StringShape KinesisStreamArn => new() { MinLength = 1, MaxLength = 512, Pattern = @"arn:.*:kinesis:[a-zA-Z0-9\-]+:\d{12}:stream/[a-zA-Z0-9_.-]+" };

    public static StringShape TagKey => new() { MinLength = 1, MaxLength = 128, Pattern = @"^(?!aws:)[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$" };

    public static StringShape TagValue => new() { MinLength = 0, MaxLength = 256, Pattern = @"^[\p{L}\p{Z}\p{N}_.:\/=+\-@%]*$" };

    public static ListShape Tags => new(new StructureShape().Required("Key", TagKey).Optional("Value", TagValue)) { MinLength = 1, MaxLength = 50 };

    public static StructureShape EncryptionInput => new StructureShape()
        .Optional("KeyARN", KmsKeyArn)
        .Required("KeyType", new StringShape { Enum = ["AWS_OWNED_CMK", "CUSTOMER_MANAGED_CMK"] });

    public static NumberShape Int(long min, long max) => new(false) { Min = min, Max = max };

    public static StringShape Text(int min, int max) => new() { MinLength = min, MaxLength = max };

    public static string? Str(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static int? Int(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) && v.ValueKind == JsonValueKind.Number ? (int)Math.Clamp(InputValidator.ReadWholeNumber(v), int.MinValue, int.MaxValue) : null;

    public static bool? Bool(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    public static JsonElement? Member(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) ? v : null;

    /// <summary>Writes epoch seconds with millisecond fractions (e.g. 1700000000.123), as AWS does.</summary>
    public static void WriteTimestamp(this Utf8JsonWriter w, string name, long epochMs) => w.WriteNumber(name, epochMs / 1000m);

    /// <summary>Tags of a request, in order, later values of a repeated key winning.</summary>
    public static List<KeyValuePair<string, string>> ReadTags(this JsonElement body, string name)
    {
        var tags = new List<KeyValuePair<string, string>>();
        if (body.Member(name) is not { } list) return tags;
        foreach (var tag in list.EnumerateArray())
        {
            var key = tag.Str("Key")!;
            if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase)) throw AwsException.InvalidArgument("Tag keys cannot begin with the reserved prefix 'aws:'.");
            Merge(tags, key, tag.Str("Value") ?? "");
        }

        return tags;
    }

    /// <summary>Adds the tags to the existing ones (replacing values of existing keys); LimitExceededException past 50.</summary>
    public static List<KeyValuePair<string, string>> MergeTags(IReadOnlyList<KeyValuePair<string, string>> existing, List<KeyValuePair<string, string>> incoming)
    {
        var merged = new List<KeyValuePair<string, string>>(existing);
        foreach (var (key, value) in incoming) Merge(merged, key, value);
        if (merged.Count > 50) throw AwsException.LimitExceeded($"A delivery stream can have at most 50 tags; this request would leave it with {merged.Count}.");
        return merged;
    }

    private static void Merge(List<KeyValuePair<string, string>> tags, string key, string value)
    {
        var index = tags.FindIndex(t => t.Key == key);
        if (index >= 0) tags[index] = new(key, value);
        else tags.Add(new(key, value));
    }
}
