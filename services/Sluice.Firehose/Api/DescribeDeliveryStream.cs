using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Api;

/// <summary>DescribeDeliveryStream: status, version, source, encryption and the (single) destination with AWS's defaults filled in.</summary>
internal static class DescribeDeliveryStream
{
    public static AwsOperation Operation(FirehoseContext ctx) => new("DescribeDeliveryStream",
        new StructureShape()
            .Required("DeliveryStreamName", Input.DeliveryStreamName)
            .Optional("Limit", Input.Int(1, 10000))
            .Optional("ExclusiveStartDestinationId", new StringShape { MinLength = 1, MaxLength = 100, Pattern = "[a-zA-Z0-9-]+" }),
        async (req, w, ct) =>
        {
            var stream = await ctx.Catalog.GetAsync(req.Body.Str("DeliveryStreamName")!, ct);
            // The one destination sorts first, so starting after it (or at any id past it) leaves none.
            var after = req.Body.Str("ExclusiveStartDestinationId");
            var withDestination = after is null || string.CompareOrdinal(after, DeliveryStreamCatalog.DestinationId) < 0;
            Descriptions.Write(w, stream, ctx.NowMs, withDestination);
        });
}
