using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Streams.Api;

/// <summary>StartStreamEncryption and StopStreamEncryption: the KMS flag and key id (stored; no real cryptography).</summary>
internal static class StreamEncryption
{
    public static AwsOperation Start(StreamsContext ctx) => Operation(ctx, "StartStreamEncryption", start: true);

    public static AwsOperation Stop(StreamsContext ctx) => Operation(ctx, "StopStreamEncryption", start: false);

    private static AwsOperation Operation(StreamsContext ctx, string name, bool start) => new(name,
        Input.StreamScoped()
            .Required("EncryptionType", new StringShape { Enum = ["NONE", "KMS"] })
            .Required("KeyId", new StringShape { MinLength = 1, MaxLength = 2048 }),
        async (req, w, ct) =>
        {
            var catalog = ctx.Catalog;
            var stream = catalog.Stream(req.Body);
            if (req.Body.Str("EncryptionType") != "KMS")
            {
                throw AwsException.InvalidArgument($"Encryption type NONE is not supported for {name}. Use KMS.");
            }

            catalog.RequireActive(stream);
            var keyId = req.Body.Str("KeyId")!;
            await catalog.UpdateAsync(stream, s =>
            {
                if (!start && s.EncryptionType == "KMS" && s.KeyId != keyId)
                {
                    throw AwsException.InvalidArgument($"The KeyId {keyId} does not match the key the stream {s.Name} is encrypted with.");
                }

                s.EncryptionType = start ? "KMS" : "NONE";
                s.KeyId = start ? keyId : null;
                catalog.BeginUpdate(s);
                return true;
            }, ct);
        });
}
