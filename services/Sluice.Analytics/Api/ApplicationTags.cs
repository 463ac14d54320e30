using System.Text.Json;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Analytics.Api;

/// <summary>TagResource / UntagResource / ListTagsForResource on application ARNs (at most 50 user tags).</summary>
internal static class ApplicationTags
{
    public const int MaxTags = 50;

    private static StringShape Arn => new() { MinLength = 1, MaxLength = 2048, Pattern = "arn:.*" };

    public static AwsOperation Tag(AnalyticsContext ctx) => new("TagResource",
        new StructureShape().Required("ResourceARN", Arn).Required("Tags", Shapes.Tags),
        async (req, w, ct) =>
        {
            var tags = Read(req.Body, "Tags");
            await ctx.Catalog.ChangeAsync(NameOf(ctx, req.Body), app =>
            {
                foreach (var tag in tags)
                {
                    var at = app.Tags.FindIndex(t => t.Key == tag.Key);
                    if (at >= 0) app.Tags[at] = tag;
                    else app.Tags.Add(tag);
                }

                CheckCount(app.Tags.Count);
            }, ct);
        });

    public static AwsOperation Untag(AnalyticsContext ctx) => new("UntagResource",
        new StructureShape().Required("ResourceARN", Arn).Required("TagKeys", new ListShape(new StringShape { MinLength = 1, MaxLength = 128 }) { MinLength = 1, MaxLength = 200 }),
        async (req, w, ct) =>
        {
            var keys = req.Body.Items("TagKeys").Select(k => k.GetString()!).ToHashSet(StringComparer.Ordinal);
            await ctx.Catalog.ChangeAsync(NameOf(ctx, req.Body), app => app.Tags.RemoveAll(t => keys.Contains(t.Key)), ct);
        });

    public static AwsOperation List(AnalyticsContext ctx) => new("ListTagsForResource",
        new StructureShape().Required("ResourceARN", Arn),
        (req, w, ct) =>
        {
            var app = ctx.Catalog.Get(NameOf(ctx, req.Body));
            w.WriteStartArray("Tags");
            foreach (var (key, value) in app.Tags)
            {
                w.WriteStartObject();
                w.WriteString("Key", key);
                w.WriteString("Value", value);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            return ValueTask.CompletedTask;
        });

    public static List<KeyValuePair<string, string>> Read(JsonElement body, string member)
    {
        var tags = new List<KeyValuePair<string, string>>();
        foreach (var item in body.Items(member))
        {
            var key = item.Str("Key")!;
            var value = item.Str("Value") ?? string.Empty;
            var at = tags.FindIndex(t => t.Key == key);
            if (at >= 0) tags[at] = new(key, value);
            else tags.Add(new(key, value));
        }

        return tags;
    }

    public static void CheckCount(int count)
    {
        if (count > MaxTags) throw new AwsException("TooManyTagsException", $"An application can have at most {MaxTags} tags; this request would leave {count}.");
    }

    private static string NameOf(AnalyticsContext ctx, JsonElement body)
    {
        var arn = body.Str("ResourceARN")!;
        return ctx.Catalog.NameOfArn(arn) ?? throw AwsException.InvalidArgument($"ResourceARN {arn} is not an application ARN of this account and region.");
    }
}
