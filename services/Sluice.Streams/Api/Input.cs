using System.Text.Json;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Catalog;

namespace Sluice.Streams.Api;

/// <summary>Shapes shared by many operations, and typed reads of members that already passed validation.</summary>
internal static class Input
{
    public const string NamePattern = "[a-zA-Z0-9_.-]+";

    public static StringShape StreamName => new() { MinLength = 1, MaxLength = 128, Pattern = NamePattern };

    public static StringShape StreamArn => new() { MinLength = 1, MaxLength = 2048, Pattern = @"arn:aws.*:kinesis:.*:\d{12}:stream/\S+" };

    public static StringShape ConsumerArn => new() { MinLength = 1, MaxLength = 2048, Pattern = @"^(arn):aws.*:kinesis:.*:\d{12}:.*stream\/[a-zA-Z0-9_.-]+\/consumer\/[a-zA-Z0-9_.-]+:[0-9]+" };

    public static StringShape ShardId => new() { MinLength = 1, MaxLength = 128, Pattern = NamePattern };

    public static StringShape HashKey => new() { Pattern = @"0|([1-9]\d{0,38})" };

    public static StringShape SequenceNumber => new() { Pattern = @"0|([1-9]\d{0,128})" };

    public static StringShape NextToken => new() { MinLength = 1, MaxLength = 1048576 };

    public static StringShape TagKey => new() { MinLength = 1, MaxLength = 128 };

    public static StringShape TagValue => new() { MinLength = 0, MaxLength = 256 };

    public static StringShape StreamId => new() { MinLength = 1, MaxLength = 24 };

    public static readonly string[] MetricNames =
        ["IncomingBytes", "IncomingRecords", "OutgoingBytes", "OutgoingRecords", "WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds", "ALL"];

    /// <summary>A structure with the StreamName/StreamARN/StreamId selector members every stream-scoped operation has.</summary>
    public static StructureShape StreamScoped() =>
        new StructureShape().Optional("StreamName", StreamName).Optional("StreamARN", StreamArn).Optional("StreamId", StreamId);

    public static string? Str(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) ? v.GetString() : null;

    public static long? Long(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) ? InputValidator.ReadWholeNumber(v) : null;

    public static int? Int(this JsonElement body, string name) =>
        Long(body, name) is { } n ? (int)Math.Clamp(n, int.MinValue, int.MaxValue) : null;

    public static bool? Bool(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) ? v.GetBoolean() : null;

    public static DateTimeOffset? Time(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) && InputValidator.TryParseTimestamp(v, out var t) ? t : null;

    public static JsonElement? Member(this JsonElement body, string name) =>
        InputValidator.TryGetMember(body, name, out var v) ? v : null;

    /// <summary>The stream a request names by StreamName and/or StreamARN (they must agree).</summary>
    public static StreamState Stream(this StreamCatalog catalog, JsonElement body)
    {
        var name = body.Str("StreamName");
        var arn = body.Str("StreamARN");
        if (arn is not null)
        {
            var fromArn = StreamArns.StreamNameOf(arn);
            if (fromArn is null || !catalog.Arns.IsThisAccount(arn)) throw AwsException.NotFound(catalog.Arns.NotFound(fromArn ?? arn));
            if (name is not null && name != fromArn) throw AwsException.InvalidArgument($"StreamARN {arn} and StreamName {name} do not refer to the same stream.");
            name = fromArn;
        }

        if (name is null) throw AwsException.InvalidArgument("Either StreamName or StreamARN should be provided.");
        return catalog.Get(name);
    }

    /// <summary>Writes epoch seconds with millisecond fractions as plain decimals (e.g. 1700000000.123).</summary>
    public static void WriteTimestamp(this Utf8JsonWriter w, string name, long epochMs) => w.WriteNumber(name, epochMs / 1000m);

    public static void WriteTags(this Utf8JsonWriter w, string name, IEnumerable<KeyValuePair<string, string>> tags)
    {
        w.WriteStartArray(name);
        foreach (var (key, value) in tags)
        {
            w.WriteStartObject();
            w.WriteString("Key", key);
            w.WriteString("Value", value);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>Tags in a request: a map (CreateStream, AddTagsToStream) of key to value.</summary>
    public static Dictionary<string, string> TagMap(this JsonElement body, string name)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body.Member(name) is { } map)
        {
            foreach (var p in map.EnumerateObject()) tags[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : "";
        }

        return tags;
    }

    /// <summary>Tag rules shared by stream and consumer tagging: at most 50, no aws: prefix, sane characters.</summary>
    public static void CheckTags(IReadOnlyDictionary<string, string> incoming, IReadOnlyDictionary<string, string> existing)
    {
        foreach (var key in incoming.Keys)
        {
            if (key.StartsWith("aws:", StringComparison.OrdinalIgnoreCase)) throw AwsException.InvalidArgument("Tag key can not begin with 'aws:' prefix. Use a different tag key.");
        }

        var total = existing.Keys.Union(incoming.Keys).Count();
        if (total > 50) throw AwsException.LimitExceeded("Failed to add tags to the resource: exceeds the limit of 50 tags per resource.");
    }
}
