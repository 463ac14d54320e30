using System.Text.Json;
using Sluice.AwsProtocol;
using Sluice.AwsProtocol.Validation;
using Sluice.Firehose.Catalog;

namespace Sluice.Firehose.Api;

/// <summary>
/// CreateDeliveryStream: DirectPut (with a backing stream in Streams) or KinesisStreamAsSource, to exactly one of the
/// destinations Sluice delivers to: Extended S3 (legacy S3 is stored as extended), HTTP endpoint, or Redshift-shaped PostgreSQL.
/// </summary>
internal static class CreateDeliveryStream
{
    public static AwsOperation Operation(FirehoseContext ctx)
    {
        var shape = new StructureShape()
            .Required("DeliveryStreamName", Input.DeliveryStreamName)
            .Optional("DeliveryStreamType", new StringShape { Enum = ["DirectPut", "KinesisStreamAsSource", "MSKAsSource", "DatabaseAsSource"] })
            .Optional("DirectPutSourceConfiguration", new StructureShape().Required("ThroughputHintInMBs", Input.Int(1, 100)))
            .Optional("KinesisStreamSourceConfiguration", new StructureShape().Required("KinesisStreamARN", Input.KinesisStreamArn).Required("RoleARN", Input.RoleArn))
            .Optional("DeliveryStreamEncryptionConfigurationInput", Input.EncryptionInput)
            .Optional("S3DestinationConfiguration", DestinationShapes.S3(update: false))
            .Optional("ExtendedS3DestinationConfiguration", DestinationShapes.ExtendedS3(update: false))
            .Optional("RedshiftDestinationConfiguration", DestinationShapes.Redshift(update: false))
            .Optional("HttpEndpointDestinationConfiguration", DestinationShapes.HttpEndpoint(update: false))
            .Optional("Tags", Input.Tags);
        foreach (var name in DestinationShapes.Unsupported) shape.Optional(name, new StructureShape());
        shape.Optional("MSKSourceConfiguration", new StructureShape());

        return new AwsOperation("CreateDeliveryStream", shape, async (req, w, ct) =>
        {
            var body = req.Body;
            var name = body.Str("DeliveryStreamName")!;
            var typeName = body.Str("DeliveryStreamType") ?? "DirectPut";
            if (typeName is "MSKAsSource" or "DatabaseAsSource")
            {
                throw AwsException.InvalidArgument($"DeliveryStreamType {typeName} is not supported by Sluice: use DirectPut or KinesisStreamAsSource.");
            }

            var type = typeName == "DirectPut" ? DeliveryStreamType.DirectPut : DeliveryStreamType.KinesisStreamAsSource;
            var (kind, config, legacy) = ReadDestination(body);
            DestinationRules.Check(kind, config);

            var kinesis = body.Member("KinesisStreamSourceConfiguration");
            if (type == DeliveryStreamType.KinesisStreamAsSource && kinesis is null)
            {
                throw AwsException.InvalidArgument("KinesisStreamSourceConfiguration is required when DeliveryStreamType is KinesisStreamAsSource.");
            }

            if (type == DeliveryStreamType.DirectPut && kinesis is not null)
            {
                throw AwsException.InvalidArgument("KinesisStreamSourceConfiguration is only allowed when DeliveryStreamType is KinesisStreamAsSource.");
            }

            if (type != DeliveryStreamType.DirectPut && body.Member("DirectPutSourceConfiguration") is not null)
            {
                throw AwsException.InvalidArgument("DirectPutSourceConfiguration is only allowed when DeliveryStreamType is DirectPut.");
            }

            var encryption = body.Member("DeliveryStreamEncryptionConfigurationInput");
            if (encryption is { } e)
            {
                if (type != DeliveryStreamType.DirectPut)
                {
                    throw AwsException.InvalidArgument("DeliveryStreamEncryptionConfigurationInput is only allowed when DeliveryStreamType is DirectPut; a Kinesis source stream has its own encryption.");
                }

                StreamEncryption.CheckInput(e);
            }

            var tags = body.ReadTags("Tags");
            var now = ctx.NowMs;
            string? sourceName = null;
            if (kinesis is { } k)
            {
                var arn = k.Str("KinesisStreamARN")!;
                sourceName = arn[(arn.IndexOf(":stream/", StringComparison.Ordinal) + ":stream/".Length)..];
                if (!await ctx.Streams.ExistsAsync(sourceName, ct))
                {
                    throw AwsException.InvalidArgument($"The source stream {arn} does not exist.");
                }
            }

            var hint = body.Member("DirectPutSourceConfiguration")?.Int("ThroughputHintInMBs");
            var state = new DeliveryStreamState
            {
                Name = name,
                Arn = ctx.Catalog.ArnOf(name),
                Type = type,
                Status = "CREATING",
                StatusSinceMs = now,
                CreatedMs = now,
                Destination = kind,
                LegacyS3 = legacy,
                DestinationConfiguration = config,
                ThroughputHintInMBs = hint,
                SourceStreamArn = kinesis?.Str("KinesisStreamARN"),
                SourceStreamName = sourceName,
                SourceRoleArn = kinesis?.Str("RoleARN"),
                DeliveryStartMs = kinesis is null ? null : now,
                Tags = tags,
                EncryptionStatus = encryption is null ? null : "ENABLED",
                EncryptionKeyType = encryption?.Str("KeyType"),
                EncryptionKeyArn = encryption?.Str("KeyARN"),
            };
            await ctx.Catalog.AddAsync(state, ct);

            // CREATING lasts while the backing stream is made; a failure leaves nothing behind.
            if (type == DeliveryStreamType.DirectPut)
            {
                try
                {
                    await ctx.Streams.CreateAsync(name, BackingStreams.ShardsFor(hint), ct);
                }
                catch
                {
                    await ctx.Catalog.RemoveAsync(name, CancellationToken.None);
                    throw;
                }
            }

            await ctx.Catalog.UpdateAsync(name, s => s with { Status = "ACTIVE", StatusSinceMs = ctx.NowMs }, CancellationToken.None);
            w.WriteString("DeliveryStreamARN", state.Arn);
        });
    }

    /// <summary>The one destination of the request, as (kind, Create-shaped configuration, created in the legacy S3 form).</summary>
    private static (DestinationKind Kind, JsonElement Config, bool Legacy) ReadDestination(JsonElement body)
    {
        var found = new List<string>();
        foreach (var member in DestinationShapes.Unsupported)
        {
            if (body.Member(member) is not null) found.Add(member);
        }

        foreach (var member in (string[])["S3DestinationConfiguration", "ExtendedS3DestinationConfiguration", "RedshiftDestinationConfiguration", "HttpEndpointDestinationConfiguration"])
        {
            if (body.Member(member) is not null) found.Add(member);
        }

        if (found.Count == 0) throw AwsException.InvalidArgument("A destination configuration is required: give one of ExtendedS3DestinationConfiguration, S3DestinationConfiguration, HttpEndpointDestinationConfiguration or RedshiftDestinationConfiguration.");
        if (found.Count > 1) throw AwsException.InvalidArgument($"Only one destination configuration is allowed, but {found.Count} were given: {string.Join(", ", found)}.");
        var kind = found[0];
        var config = body.GetProperty(kind).Clone();
        return kind switch
        {
            "ExtendedS3DestinationConfiguration" => (DestinationKind.ExtendedS3, config, false),
            "S3DestinationConfiguration" => (DestinationKind.ExtendedS3, DestinationRules.FromLegacyS3(config), true),
            "HttpEndpointDestinationConfiguration" => (DestinationKind.HttpEndpoint, config, false),
            "RedshiftDestinationConfiguration" => (DestinationKind.Redshift, config, false),
            _ => throw AwsException.InvalidArgument($"{kind} is not supported by Sluice: it delivers to Extended S3, HTTP endpoints and Redshift-compatible PostgreSQL."),
        };
    }
}
