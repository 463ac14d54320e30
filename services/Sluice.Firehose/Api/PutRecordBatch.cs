using System.Text.Json;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Api;

/// <summary>PutRecordBatch: 1–500 records (4 MiB in all) appended durably to the backing stream; a record that cannot be appended fails alone, in its slot.</summary>
internal static class PutRecordBatch
{
    public const int MaxRecordBytes = 1_024_000;
    private const int MaxRequestBytes = 4 * 1024 * 1024;
    private static readonly JsonEncodedText RecordIdName = JsonEncodedText.Encode("RecordId");
    private static readonly JsonEncodedText ErrorCodeName = JsonEncodedText.Encode("ErrorCode");
    private static readonly JsonEncodedText ErrorMessageName = JsonEncodedText.Encode("ErrorMessage");

    public static AwsOperation Operation(FirehoseContext ctx) => new("PutRecordBatch",
        new StructureShape()
            .Required("DeliveryStreamName", Input.DeliveryStreamName)
            .Required("Records", new ListShape(new StructureShape().Required("Data", new BlobShape { MinLength = 0, MaxLength = MaxRecordBytes })) { MinLength = 1, MaxLength = 500 }),
        async (req, w, ct) =>
        {
            var stream = await WritableAsync(ctx, req.Body.Str("DeliveryStreamName")!, ct);
            var entries = req.Body.GetProperty("Records");
            var records = new byte[entries.GetArrayLength()][];
            long total = 0;
            var i = 0;
            foreach (var entry in entries.EnumerateArray())
            {
                records[i] = entry.GetProperty("Data").GetBytesFromBase64();
                total += records[i].Length;
                i++;
            }

            if (total > MaxRequestBytes)
            {
                throw AwsException.InvalidArgument($"Records size exceeds the 4 MiB limit of PutRecordBatch: the records hold {total} bytes.");
            }

            var ids = await ctx.Streams.AppendAsync(stream.Name, records, ct);
            var failed = 0;
            foreach (var id in ids)
            {
                if (id is null) failed++;
            }

            w.WriteNumber("FailedPutCount", failed);
            w.WriteBoolean("Encrypted", IsEncrypted(ctx, stream));
            w.WriteStartArray("RequestResponses");
            foreach (var id in ids)
            {
                w.WriteStartObject();
                if (id is not null)
                {
                    w.WriteString(RecordIdName, id);
                }
                else
                {
                    w.WriteString(ErrorCodeName, "ServiceUnavailableException");
                    w.WriteString(ErrorMessageName, "Slow down.");
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
        });

    /// <summary>The delivery stream a put names, refusing one that does not take puts.</summary>
    public static async ValueTask<DeliveryStreamState> WritableAsync(FirehoseContext ctx, string name, CancellationToken ct)
    {
        var stream = await ctx.Catalog.GetAsync(name, ct);
        if (stream.Type != DeliveryStreamType.DirectPut)
        {
            throw AwsException.InvalidArgument($"This operation is not permitted on KinesisStreamAsSource delivery stream type.");
        }

        if (stream.Status != "ACTIVE")
        {
            throw AwsException.InUse($"Firehose {name} under account {ctx.Catalog.Settings.AccountId} is {stream.Status}; records can be put only while it is ACTIVE.");
        }

        return stream;
    }

    public static bool IsEncrypted(FirehoseContext ctx, DeliveryStreamState stream) => stream.EncryptionStatusAt(ctx.NowMs) is "ENABLED" or "DISABLING";
}
