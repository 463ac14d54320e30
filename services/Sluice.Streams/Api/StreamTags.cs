using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Streams.Api;

/// <summary>AddTagsToStream, RemoveTagsFromStream and ListTagsForStream: at most 50 tags, listed in key order.</summary>
internal static class StreamTags
{
    public static AwsOperation Add(StreamsContext ctx) => new("AddTagsToStream",
        Input.StreamScoped().Required("Tags", new MapShape(Input.TagKey, Input.TagValue) { MinLength = 1, MaxLength = 200 }),
        async (req, w, ct) =>
        {
            var stream = ctx.Catalog.Stream(req.Body);
            ctx.Catalog.RequireActive(stream);
            var tags = req.Body.TagMap("Tags");
            await ctx.Catalog.UpdateAsync(stream, s =>
            {
                Input.CheckTags(tags, s.Tags);
                foreach (var (key, value) in tags) s.Tags[key] = value;
                return true;
            }, ct);
        });

    public static AwsOperation Remove(StreamsContext ctx) => new("RemoveTagsFromStream",
        Input.StreamScoped().Required("TagKeys", new ListShape(Input.TagKey) { MinLength = 1, MaxLength = 50 }),
        async (req, w, ct) =>
        {
            var stream = ctx.Catalog.Stream(req.Body);
            ctx.Catalog.RequireActive(stream);
            var keys = req.Body.GetProperty("TagKeys").EnumerateArray().Select(k => k.GetString()!).ToList();
            await ctx.Catalog.UpdateAsync(stream, s =>
            {
                foreach (var key in keys) s.Tags.Remove(key);
                return true;
            }, ct);
        });

    public static AwsOperation List(StreamsContext ctx) => new("ListTagsForStream",
        Input.StreamScoped()
            .Optional("ExclusiveStartTagKey", Input.TagKey)
            .Optional("Limit", new NumberShape(false) { Min = 1, Max = 50 }),
        (req, w, ct) =>
        {
            var stream = ctx.Catalog.Stream(req.Body);
            var after = req.Body.Str("ExclusiveStartTagKey");
            var limit = req.Body.Int("Limit") ?? 50;
            var tags = stream.Tags.Where(t => after is null || string.CompareOrdinal(t.Key, after) > 0).ToList();
            w.WriteTags("Tags", tags.Take(limit));
            w.WriteBoolean("HasMoreTags", tags.Count > limit);
            return ValueTask.CompletedTask;
        });
}
