using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Api;

/// <summary>ListDeliveryStreams: names in alphabetical order, 10 by default, optionally of one type, after ExclusiveStartDeliveryStreamName.</summary>
internal static class ListDeliveryStreams
{
    public static AwsOperation Operation(FirehoseContext ctx) => new("ListDeliveryStreams",
        new StructureShape()
            .Optional("Limit", Input.Int(1, 10000))
            .Optional("DeliveryStreamType", new StringShape { Enum = ["DirectPut", "KinesisStreamAsSource", "MSKAsSource", "DatabaseAsSource"] })
            .Optional("ExclusiveStartDeliveryStreamName", Input.DeliveryStreamName),
        (req, w, _) =>
        {
            var limit = req.Body.Int("Limit") ?? 10;
            var type = req.Body.Str("DeliveryStreamType");
            var after = req.Body.Str("ExclusiveStartDeliveryStreamName");
            var listed = 0;
            var more = false;
            w.WriteStartArray("DeliveryStreamNames");
            foreach (var stream in ctx.Catalog.All())
            {
                if (type is not null && stream.Type.ToString() != type) continue;
                if (after is not null && string.CompareOrdinal(stream.Name, after) <= 0) continue;
                if (listed == limit)
                {
                    more = true;
                    break;
                }

                w.WriteStringValue(stream.Name);
                listed++;
            }

            w.WriteEndArray();
            w.WriteBoolean("HasMoreDeliveryStreams", more);
            return ValueTask.CompletedTask;
        });
}
