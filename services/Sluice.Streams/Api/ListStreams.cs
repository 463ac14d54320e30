using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Streams.Api;

/// <summary>ListStreams: names and summaries in name order, paged by ExclusiveStartStreamName or NextToken.</summary>
internal static class ListStreams
{
    public static AwsOperation Operation(StreamsContext ctx) => new("ListStreams",
        new StructureShape()
            .Optional("Limit", new NumberShape(false) { Min = 1, Max = 10000 })
            .Optional("ExclusiveStartStreamName", Input.StreamName)
            .Optional("NextToken", Input.NextToken),
        (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var limit = Math.Min(req.Body.Int("Limit") ?? 100, 100);
            var after = req.Body.Str("ExclusiveStartStreamName");
            if (req.Body.Str("NextToken") is { } token)
            {
                var read = ctx.Tokens.Read("ListStreams", token) ?? throw AwsException.InvalidArgument("The NextToken provided is invalid.");
                if (read.Expired) throw new AwsException("ExpiredNextTokenException", "The NextToken provided has expired.");
                after = read.After;
            }

            var streams = catalog.All().Where(s => after is null || string.CompareOrdinal(s.Name, after) > 0).ToList();
            var page = streams.Take(limit).ToList();
            var hasMore = streams.Count > limit;
            w.WriteStartArray("StreamNames");
            foreach (var s in page) w.WriteStringValue(s.Name);
            w.WriteEndArray();
            w.WriteBoolean("HasMoreStreams", hasMore);
            if (hasMore) w.WriteString("NextToken", ctx.Tokens.Issue("ListStreams", "", page[^1].Name));
            w.WriteStartArray("StreamSummaries");
            foreach (var s in page)
            {
                w.WriteStartObject();
                w.WriteString("StreamName", s.Name);
                w.WriteString("StreamARN", catalog.Arns.Stream(s.Name));
                w.WriteString("StreamStatus", catalog.StatusOf(s).ToString());
                ShardOutput.WriteModeDetails(w, s);
                w.WriteTimestamp("StreamCreationTimestamp", s.CreatedMs);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            return ValueTask.CompletedTask;
        });
}
