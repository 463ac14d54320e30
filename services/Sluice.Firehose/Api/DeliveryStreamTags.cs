using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Firehose.Api;

/// <summary>TagDeliveryStream, UntagDeliveryStream and ListTagsForDeliveryStream: at most 50 tags, keys without the aws: prefix.</summary>
internal static class DeliveryStreamTags
{
    public static AwsOperation Tag(FirehoseContext ctx) => new("TagDeliveryStream",
        new StructureShape()
            .Required("DeliveryStreamName", Input.DeliveryStreamName)
            .Required("Tags", Input.Tags),
        async (req, _, ct) =>
        {
            var incoming = req.Body.ReadTags("Tags");
            await ctx.Catalog.UpdateAsync(req.Body.Str("DeliveryStreamName")!, s => s with { Tags = Input.MergeTags(s.Tags, incoming) }, ct);
        });

    public static AwsOperation Untag(FirehoseContext ctx) => new("UntagDeliveryStream",
        new StructureShape()
            .Required("DeliveryStreamName", Input.DeliveryStreamName)
            .Required("TagKeys", new ListShape(Input.TagKey) { MinLength = 1, MaxLength = 50 }),
        async (req, _, ct) =>
        {
            var keys = new HashSet<string>(StringComparer.Ordinal);
            foreach (var key in req.Body.GetProperty("TagKeys").EnumerateArray()) keys.Add(key.GetString()!);
            await ctx.Catalog.UpdateAsync(req.Body.Str("DeliveryStreamName")!, s => s with { Tags = s.Tags.Where(t => !keys.Contains(t.Key)).ToList() }, ct);
        });

    public static AwsOperation List(FirehoseContext ctx) => new("ListTagsForDeliveryStream",
        new StructureShape()
            .Required("DeliveryStreamName", Input.DeliveryStreamName)
            .Optional("ExclusiveStartTagKey", Input.TagKey)
            .Optional("Limit", Input.Int(1, 50)),
        async (req, w, ct) =>
        {
            var stream = await ctx.Catalog.GetAsync(req.Body.Str("DeliveryStreamName")!, ct);
            var limit = req.Body.Int("Limit") ?? 50;
            var after = req.Body.Str("ExclusiveStartTagKey");
            var tags = stream.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
            var start = after is null ? 0 : tags.FindIndex(t => string.CompareOrdinal(t.Key, after) > 0);
            if (start < 0) start = tags.Count;
            var count = Math.Min(limit, tags.Count - start);
            w.WriteStartArray("Tags");
            for (var i = start; i < start + count; i++)
            {
                w.WriteStartObject();
                w.WriteString("Key", tags[i].Key);
                w.WriteString("Value", tags[i].Value);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteBoolean("HasMoreTags", start + count < tags.Count);
        });
}
