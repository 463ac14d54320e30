using NUnit.Framework;
using Sluice.Firehose.Delivery;
using Sluice.Firehose.Destinations;

namespace Sluice.Firehose.Tests;

[TestFixture]
public sealed class DeliveryKeyTests
{
    private static readonly DateTimeOffset At = new(2024, 5, 1, 13, 42, 7, TimeSpan.Zero);

    private static ObjectKeys.Context Context(string? errorType = null, Dictionary<string, string>? query = null, string zone = "UTC") =>
        new(At, TimeZoneInfo.FindSystemTimeZoneById(zone), "orders/1/shardId-000000000000/1.0-9.0", errorType, query, null);

    [Test]
    public void Default_key_is_hour_prefix_then_name_version_time_and_uuid()
    {
        var key = ObjectKeys.ObjectKey(null, "orders", "1", ".gz", Context());
        Assert.That(key, Does.Match(@"^2024/05/01/13/orders-1-2024-05-01-13-42-07-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.gz$"));
    }

    [Test]
    public void The_uuid_is_the_same_for_the_same_batch_and_differs_for_another()
    {
        Assert.That(ObjectKeys.ObjectKey(null, "o", "1", "", Context()), Is.EqualTo(ObjectKeys.ObjectKey(null, "o", "1", "", Context())));
        var other = Context() with { Identity = "orders/1/shardId-000000000000/10.0-19.0" };
        Assert.That(ObjectKeys.ObjectKey(null, "o", "1", "", other), Is.Not.EqualTo(ObjectKeys.ObjectKey(null, "o", "1", "", Context())));
    }

    [Test]
    public void A_prefix_without_timestamp_gets_the_hour_layout_appended_without_a_slash()
    {
        Assert.That(ObjectKeys.EvaluatePrefix("logs", Context()), Is.EqualTo("logs2024/05/01/13/"));
        Assert.That(ObjectKeys.EvaluatePrefix("logs/", Context()), Is.EqualTo("logs/2024/05/01/13/"));
    }

    [Test]
    public void Timestamp_expressions_use_Java_patterns_with_quoted_literals()
    {
        Assert.That(ObjectKeys.EvaluatePrefix("events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/!{timestamp:yyyy'-'MM'-'dd'T'HH}/", Context()),
            Is.EqualTo("events/year=2024/month=05/2024-05-01T13/"));
    }

    [Test]
    public void CustomTimeZone_shifts_the_prefix_and_the_name()
    {
        var key = ObjectKeys.ObjectKey(null, "o", "1", "", Context(zone: "Asia/Tokyo"));
        Assert.That(key, Does.StartWith("2024/05/01/22/o-1-2024-05-01-22-42-07-"));
    }

    [Test]
    public void Error_output_type_and_partition_keys_are_substituted()
    {
        Assert.That(ObjectKeys.EvaluatePrefix("err/!{firehose:error-output-type}/!{timestamp:yyyy}/", Context("processing-failed")), Is.EqualTo("err/processing-failed/2024/"));
        Assert.That(ObjectKeys.EvaluatePrefix("c=!{partitionKeyFromQuery:customer}/!{timestamp:HH}/", Context(query: new() { ["customer"] = "42" })), Is.EqualTo("c=42/13/"));
        Assert.Throws<FormatException>(() => ObjectKeys.EvaluatePrefix("c=!{partitionKeyFromQuery:missing}/", Context(query: new())));
    }

    [Test]
    public void Random_string_is_eleven_characters_and_differs_per_occurrence()
    {
        var prefix = ObjectKeys.EvaluatePrefix("!{firehose:random-string}/!{firehose:random-string}/", Context());
        var parts = prefix.Split('/');
        Assert.That(parts[0], Has.Length.EqualTo(11));
        Assert.That(parts[1], Has.Length.EqualTo(11));
        Assert.That(parts[0], Is.Not.EqualTo(parts[1]));
    }

    [Test]
    public void Default_error_prefix_is_the_literal_prefix_then_the_error_type()
    {
        Assert.That(ObjectKeys.DefaultErrorPrefix("logs/"), Is.EqualTo("logs/!{firehose:error-output-type}/"));
        Assert.That(ObjectKeys.DefaultErrorPrefix(null), Is.EqualTo("!{firehose:error-output-type}/"));
    }

    [Test]
    public void Jq_subset_extracts_nested_string_and_number_keys()
    {
        var query = JqQuery.Parse("{customer: .c.id, \"year\": .y}");
        Assert.That(query.TryEvaluate("{\"c\":{\"id\":\"a\"},\"y\":2024}"u8.ToArray(), out var keys, out _), Is.True);
        Assert.That(keys, Is.EqualTo(new Dictionary<string, string> { ["customer"] = "a", ["year"] = "2024" }));
        Assert.That(query.TryEvaluate("{\"c\":{},\"y\":1}"u8.ToArray(), out _, out var error), Is.False);
        Assert.That(error, Does.Contain("customer"));
        Assert.That(JqQuery.Parse(".a.b").TryEvaluate("{\"a\":{\"b\":\"x\"}}"u8.ToArray(), out var single, out _), Is.True);
        Assert.That(single["b"], Is.EqualTo("x"));
        Assert.Throws<FormatException>(() => JqQuery.Parse("{y: .ts|strftime(\"%Y\")}"));
    }
}
