using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Api;

/// <summary>DeleteDeliveryStream: DELETING, then gone with its backing stream (records not yet delivered are dropped, as in AWS).</summary>
internal static class DeleteDeliveryStream
{
    public static AwsOperation Operation(FirehoseContext ctx) => new("DeleteDeliveryStream",
        new StructureShape()
            .Required("DeliveryStreamName", Input.DeliveryStreamName)
            .Optional("AllowForceDelete", new BooleanShape()),
        async (req, _, ct) =>
        {
            var name = req.Body.Str("DeliveryStreamName")!;
            var stream = await ctx.Catalog.UpdateAsync(name, s => s.Status == "CREATING"
                ? throw AwsException.InUse($"Firehose {name} under account {ctx.Catalog.Settings.AccountId} is CREATING; it can be deleted once it is ACTIVE.")
                : s with { Status = "DELETING", StatusSinceMs = ctx.NowMs }, ct);
            if (stream.Type == DeliveryStreamType.DirectPut) await ctx.Streams.DeleteAsync(name, CancellationToken.None);
            await ctx.Catalog.RemoveAsync(name, CancellationToken.None);
        });
}
