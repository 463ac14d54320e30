using System.Text.Json;

namespace Sluice.Firehose.Catalog;

/// <summary>Where a delivery stream's records come from.</summary>
public enum DeliveryStreamType
{
    DirectPut,
    KinesisStreamAsSource,
}

/// <summary>The one destination a delivery stream has (AWS allows exactly one).</summary>
public enum DestinationKind
{
    /// <summary>S3DestinationConfiguration or ExtendedS3DestinationConfiguration (the legacy form is stored as the extended one).</summary>
    ExtendedS3,

    /// <summary>HttpEndpointDestinationConfiguration.</summary>
    HttpEndpoint,

    /// <summary>RedshiftDestinationConfiguration pointed at PostgreSQL (the warehouse role Redshift plays in the seeds).</summary>
    Redshift,
}

/// <summary>
/// An ACTIVE delivery stream as the delivery loops see it. <see cref="DestinationConfiguration"/> is the effective
/// destination configuration in AWS's Create shape (e.g. the body of <c>ExtendedS3DestinationConfiguration</c>), with
/// UpdateDestination merges applied and a legacy <c>S3DestinationConfiguration</c> normalised to the extended shape.
/// Secrets (HTTP AccessKey, Redshift Password) are kept here even though Describe never returns them.
/// </summary>
public sealed record DeliveryStreamDefinition(
    string Name,
    string Arn,
    DeliveryStreamType Type,
    string VersionId,
    string DestinationId,
    DestinationKind Destination,
    JsonElement DestinationConfiguration,
    string SourceStreamName,
    string? SourceStreamArn,
    DateTimeOffset CreateTimestamp)
{
    /// <summary>The Streams stream that backs a DirectPut delivery stream (its records are appended there before the ack).</summary>
    public static string BackingStreamName(string deliveryStreamName) => "firehose-" + deliveryStreamName;

    /// <summary>The consumer group the delivery loops of this delivery stream share leases and checkpoints under.</summary>
    public string ConsumerGroup => "sluice-firehose-" + Name;
}

/// <summary>The delivery streams that exist now; the delivery loops start, restart and stop theirs as this changes.</summary>
public interface IDeliveryStreamDirectory
{
    /// <summary>Every delivery stream that is ACTIVE (a stream being deleted is no longer listed).</summary>
    IReadOnlyList<DeliveryStreamDefinition> Active { get; }

    /// <summary>Raised after a create, an update (new VersionId) or a delete, on any replica.</summary>
    event Action? Changed;
}
