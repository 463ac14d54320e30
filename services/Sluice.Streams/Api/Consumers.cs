using System.Text.Json;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Streams.Catalog;

namespace Sluice.Streams.Api;

/// <summary>
/// RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers and DeregisterStreamConsumer: enhanced fan-out
/// consumers, CREATING then ACTIVE, DELETING then gone; at most 20 per stream and 5 CREATING at once.
/// </summary>
internal static class Consumers
{
    private const int MaxConsumers = 20;
    private const int MaxCreating = 5;

    private static StringShape ConsumerName => new() { MinLength = 1, MaxLength = 128, Pattern = Input.NamePattern };

    public static AwsOperation Register(StreamsContext ctx) => new("RegisterStreamConsumer",
        new StructureShape()
            .Required("StreamARN", Input.StreamArn)
            .Required("ConsumerName", ConsumerName)
            .Optional("Tags", new MapShape(Input.TagKey, Input.TagValue) { MaxLength = 50 }),
        async (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = catalog.Stream(req.Body);
            var name = req.Body.Str("ConsumerName")!;
            var tags = req.Body.TagMap("Tags");
            Input.CheckTags(tags, new Dictionary<string, string>());
            var consumer = await catalog.UpdateAsync(stream, s =>
            {
                var now = catalog.NowMs;
                s.Consumers.RemoveAll(c => c.DeletedAtMs is { } d && d <= now);
                if (s.Consumers.Any(c => c.Name == name))
                {
                    throw AwsException.InUse($"Consumer {name} under stream {s.Name} under account {catalog.Arns.Account} already exists.");
                }

                if (s.Consumers.Count >= MaxConsumers)
                {
                    throw AwsException.LimitExceeded($"Stream {s.Name} under account {catalog.Arns.Account} already has {MaxConsumers} registered consumers, the maximum allowed.");
                }

                if (s.Consumers.Count(c => c.ActiveAtMs > now) >= MaxCreating)
                {
                    throw AwsException.LimitExceeded($"Stream {s.Name} under account {catalog.Arns.Account} already has {MaxCreating} consumers in CREATING state.");
                }

                // A re-registered name must get a new ARN, and ARNs carry the creation second.
                var created = Math.Max(now, (s.Consumers.Select(c => c.CreatedMs).DefaultIfEmpty(0).Max() / 1000 + 1) * 1000);
                var c = new ConsumerState { Name = name, CreatedMs = created, ActiveAtMs = now + catalog.Settings.CreateStreamMs };
                foreach (var (k, v) in tags) c.Tags[k] = v;
                s.Consumers.Add(c);
                return c;
            }, ct);
            w.WriteStartObject("Consumer");
            Write(w, catalog, stream, consumer, withStream: false);
            w.WriteEndObject();
        });

    public static AwsOperation Describe(StreamsContext ctx) => new("DescribeStreamConsumer", Selector(), (req, w, ct) =>
    {
        var (stream, consumer) = Find(ctx.Catalog, req.Body);
        w.WriteStartObject("ConsumerDescription");
        Write(w, ctx.Catalog, stream, consumer, withStream: true);
        w.WriteEndObject();
        return ValueTask.CompletedTask;
    });

    public static AwsOperation List(StreamsContext ctx) => new("ListStreamConsumers",
        new StructureShape()
            .Required("StreamARN", Input.StreamArn)
            .Optional("NextToken", Input.NextToken)
            .Optional("MaxResults", new NumberShape(false) { Min = 1, Max = 10000 })
            .Optional("StreamCreationTimestamp", new TimestampShape()),
        (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = catalog.Stream(req.Body);
            var max = Math.Min(req.Body.Int("MaxResults") ?? 100, 100);
            string? after = null;
            if (req.Body.Str("NextToken") is { } token)
            {
                var read = ctx.Tokens.Read("ListStreamConsumers", token);
                if (read is null || read.Value.Scope != stream.Name) throw AwsException.InvalidArgument("The NextToken provided is invalid.");
                if (read.Value.Expired) throw new AwsException("ExpiredNextTokenException", "The NextToken provided has expired.");
                after = read.Value.After;
            }

            var now = catalog.NowMs;
            var consumers = Live(stream, now).Where(c => after is null || string.CompareOrdinal(c.Name, after) > 0).OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
            w.WriteStartArray("Consumers");
            foreach (var c in consumers.Take(max))
            {
                w.WriteStartObject();
                Write(w, catalog, stream, c, withStream: false);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (consumers.Count > max) w.WriteString("NextToken", ctx.Tokens.Issue("ListStreamConsumers", stream.Name, consumers[max - 1].Name));
            return ValueTask.CompletedTask;
        });

    public static AwsOperation Deregister(StreamsContext ctx) => new("DeregisterStreamConsumer", Selector(), async (req, w, ct) =>
    {
        var catalog = ctx.Catalog;
        var (stream, consumer) = Find(catalog, req.Body);
        await catalog.UpdateAsync(stream, s =>
        {
            var now = catalog.NowMs;
            if (catalog.Settings.DeleteStreamMs == 0) s.Consumers.Remove(consumer);
            else consumer.DeletedAtMs ??= now + catalog.Settings.DeleteStreamMs;
            return true;
        }, ct);
        ctx.Subscriptions.EndConsumer(catalog.Arns.Consumer(stream.Name, consumer.Name, consumer.CreatedMs));
    });

    /// <summary>The consumer a request names by ConsumerARN, or by StreamARN and ConsumerName.</summary>
    public static (StreamState Stream, ConsumerState Consumer) Find(StreamCatalog catalog, JsonElement body)
    {
        var arn = body.Str("ConsumerARN");
        var streamArn = body.Str("StreamARN");
        var name = body.Str("ConsumerName");
        long? createdSeconds = null;
        string? streamName;
        if (arn is not null)
        {
            var parsed = StreamArns.ParseConsumer(arn) ?? throw AwsException.NotFound($"Consumer {arn} not found.");
            if (name is not null && name != parsed.Consumer) throw AwsException.InvalidArgument("ConsumerARN and ConsumerName do not refer to the same consumer.");
            streamName = parsed.Stream;
            name = parsed.Consumer;
            createdSeconds = parsed.CreatedSeconds;
        }
        else if (streamArn is not null && name is not null)
        {
            streamName = StreamArns.StreamNameOf(streamArn);
        }
        else
        {
            throw AwsException.InvalidArgument("Either ConsumerARN or both ConsumerName and StreamARN must be provided.");
        }

        var stream = streamName is null ? null : catalog.Find(streamName);
        var now = catalog.NowMs;
        var consumer = stream is null ? null : Live(stream, now).FirstOrDefault(c => c.Name == name && (createdSeconds is null || c.CreatedMs / 1000 == createdSeconds));
        if (stream is null || consumer is null)
        {
            throw AwsException.NotFound($"Consumer {name} under stream {streamName} under account {catalog.Arns.Account} not found.");
        }

        return (stream, consumer);
    }

    public static string StatusOf(ConsumerState c, long now) =>
        c.DeletedAtMs is not null ? "DELETING" : c.ActiveAtMs > now ? "CREATING" : "ACTIVE";

    private static IEnumerable<ConsumerState> Live(StreamState stream, long now) =>
        stream.Consumers.Where(c => c.DeletedAtMs is not { } d || d > now).ToList();

    private static StructureShape Selector() => new StructureShape()
        .Optional("StreamARN", Input.StreamArn)
        .Optional("ConsumerName", ConsumerName)
        .Optional("ConsumerARN", Input.ConsumerArn);

    private static void Write(Utf8JsonWriter w, StreamCatalog catalog, StreamState stream, ConsumerState c, bool withStream)
    {
        w.WriteString("ConsumerName", c.Name);
        w.WriteString("ConsumerARN", catalog.Arns.Consumer(stream.Name, c.Name, c.CreatedMs));
        w.WriteString("ConsumerStatus", StatusOf(c, catalog.NowMs));
        w.WriteTimestamp("ConsumerCreationTimestamp", c.CreatedMs);
        if (withStream) w.WriteString("StreamARN", catalog.Arns.Stream(stream.Name));
    }
}
