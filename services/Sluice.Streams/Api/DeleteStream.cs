using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;

namespace Sluice.Streams.Api;

/// <summary>DeleteStream: DELETING, then gone with its records; refused while consumers remain unless enforced.</summary>
internal static class DeleteStream
{
    public static AwsOperation Operation(StreamsContext ctx) => new("DeleteStream",
        Input.StreamScoped().Optional("EnforceConsumerDeletion", new BooleanShape()),
        async (req, w, ct) =>
        {
            var stream = ctx.Catalog.Stream(req.Body);
            await ctx.Catalog.DeleteAsync(stream, req.Body.Bool("EnforceConsumerDeletion") ?? false, ct);
        });
}
