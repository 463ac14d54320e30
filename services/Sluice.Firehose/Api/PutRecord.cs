using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Api;

/// <summary>PutRecord: one record appended durably to the backing stream before the answer; ServiceUnavailableException when it cannot be.</summary>
internal static class PutRecord
{
    public static AwsOperation Operation(FirehoseContext ctx) => new("PutRecord",
        new StructureShape()
            .Required("DeliveryStreamName", Input.DeliveryStreamName)
            .Required("Record", new StructureShape().Required("Data", new BlobShape { MinLength = 0, MaxLength = PutRecordBatch.MaxRecordBytes })),
        async (req, w, ct) =>
        {
            var stream = await PutRecordBatch.WritableAsync(ctx, req.Body.Str("DeliveryStreamName")!, ct);
            var data = req.Body.GetProperty("Record").GetProperty("Data").GetBytesFromBase64();
            var ids = await ctx.Streams.AppendAsync(stream.Name, [data], ct);
            w.WriteString("RecordId", ids[0] ?? throw BackingStreams.Unavailable("Slow down."));
            w.WriteBoolean("Encrypted", PutRecordBatch.IsEncrypted(ctx, stream));
        });
}
