using System.Globalization;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Api;

/// <summary>
/// UpdateDestination: the same destination kind merges (unset members keep their values), another kind replaces the
/// destination whole; the caller's CurrentDeliveryStreamVersionId must be current, and VersionId goes up by one.
/// </summary>
internal static class UpdateDestination
{
    public static AwsOperation Operation(FirehoseContext ctx)
    {
        var shape = new StructureShape()
            .Required("DeliveryStreamName", Input.DeliveryStreamName)
            .Required("CurrentDeliveryStreamVersionId", new StringShape { MinLength = 1, MaxLength = 50, Pattern = "[0-9]+" })
            .Required("DestinationId", new StringShape { MinLength = 1, MaxLength = 100, Pattern = "[a-zA-Z0-9-]+" })
            .Optional("S3DestinationUpdate", DestinationShapes.S3(update: true))
            .Optional("ExtendedS3DestinationUpdate", DestinationShapes.ExtendedS3(update: true))
            .Optional("RedshiftDestinationUpdate", DestinationShapes.Redshift(update: true))
            .Optional("HttpEndpointDestinationUpdate", DestinationShapes.HttpEndpoint(update: true));
        foreach (var name in DestinationShapes.UnsupportedUpdates) shape.Optional(name, new StructureShape());

        return new AwsOperation("UpdateDestination", shape, async (req, _, ct) =>
        {
            var body = req.Body;
            var name = body.Str("DeliveryStreamName")!;
            var found = new List<(string Member, DestinationKind? Kind)>();
            foreach (var member in DestinationShapes.UnsupportedUpdates)
            {
                if (body.Member(member) is not null) found.Add((member, null));
            }

            if (body.Member("S3DestinationUpdate") is not null) found.Add(("S3DestinationUpdate", DestinationKind.ExtendedS3));
            if (body.Member("ExtendedS3DestinationUpdate") is not null) found.Add(("ExtendedS3DestinationUpdate", DestinationKind.ExtendedS3));
            if (body.Member("RedshiftDestinationUpdate") is not null) found.Add(("RedshiftDestinationUpdate", DestinationKind.Redshift));
            if (body.Member("HttpEndpointDestinationUpdate") is not null) found.Add(("HttpEndpointDestinationUpdate", DestinationKind.HttpEndpoint));
            if (found.Count > 1) throw AwsException.InvalidArgument($"Only one destination update is allowed, but {found.Count} were given: {string.Join(", ", found.Select(f => f.Member))}.");
            if (found.Count == 1 && found[0].Kind is null)
            {
                throw AwsException.InvalidArgument($"{found[0].Member} is not supported by Sluice: it delivers to Extended S3, HTTP endpoints and Redshift-compatible PostgreSQL.");
            }

            await ctx.Catalog.UpdateAsync(name, stream =>
            {
                var expected = body.Str("CurrentDeliveryStreamVersionId")!;
                if (expected != stream.VersionId.ToString(CultureInfo.InvariantCulture))
                {
                    throw new AwsException("ConcurrentModificationException",
                        $"Cannot update firehose: {name} since the current version id: {stream.VersionId} and specified version id: {expected} do not match");
                }

                var destinationId = body.Str("DestinationId")!;
                if (destinationId != DeliveryStreamCatalog.DestinationId)
                {
                    throw AwsException.InvalidArgument($"Destination {destinationId} does not exist in delivery stream {name}: its destination is {DeliveryStreamCatalog.DestinationId}.");
                }

                if (stream.Status != "ACTIVE")
                {
                    throw AwsException.InUse($"Firehose {name} under account {ctx.Catalog.Settings.AccountId} is {stream.Status}; its destination can be updated only while it is ACTIVE.");
                }

                var config = stream.DestinationConfiguration;
                var kind = stream.Destination;
                if (found.Count == 1)
                {
                    kind = found[0].Kind!.Value;
                    config = DestinationRules.Merge(stream.Destination, stream.DestinationConfiguration, kind, body.GetProperty(found[0].Member));
                    DestinationRules.Check(kind, config);
                }

                return stream with
                {
                    Destination = kind,
                    DestinationConfiguration = config,
                    LegacyS3 = stream.LegacyS3 && kind == DestinationKind.ExtendedS3,
                    VersionId = stream.VersionId + 1,
                    LastUpdateMs = ctx.NowMs,
                };
            }, ct);
        });
    }
}
