using System.Text.Json;

namespace Sluice.Firehose.Catalog;

/// <summary>Everything Sluice keeps about one delivery stream (stored as one JSON document); replaced whole on every change.</summary>
public sealed record DeliveryStreamState
{
    public required string Name { get; init; }

    public required string Arn { get; init; }

    public DeliveryStreamType Type { get; init; }

    /// <summary>CREATING, ACTIVE or DELETING.</summary>
    public string Status { get; init; } = "CREATING";

    /// <summary>When Status last changed (a CREATING or DELETING left behind by a crashed replica is finished by another).</summary>
    public long StatusSinceMs { get; init; }

    public int VersionId { get; init; } = 1;

    public long CreatedMs { get; init; }

    public long? LastUpdateMs { get; init; }

    public DestinationKind Destination { get; init; }

    /// <summary>Created with the legacy S3DestinationConfiguration (still described in both S3 forms).</summary>
    public bool LegacyS3 { get; init; }

    /// <summary>The effective destination configuration in AWS's Create shape, secrets included.</summary>
    public JsonElement DestinationConfiguration { get; init; }

    public int? ThroughputHintInMBs { get; init; }

    /// <summary>KinesisStreamAsSource: the source stream's ARN and name, the role, and when reading started.</summary>
    public string? SourceStreamArn { get; init; }

    public string? SourceStreamName { get; init; }

    public string? SourceRoleArn { get; init; }

    public long? DeliveryStartMs { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Tags { get; init; } = [];

    /// <summary>Server-side encryption: ENABLED, ENABLING, DISABLING or DISABLED (null when never configured).</summary>
    public string? EncryptionStatus { get; init; }

    public string? EncryptionKeyType { get; init; }

    public string? EncryptionKeyArn { get; init; }

    /// <summary>When an ENABLING/DISABLING change settles into ENABLED/DISABLED.</summary>
    public long EncryptionSettlesMs { get; init; }

    /// <summary>When Start/StopDeliveryStreamEncryption were called (for the 25 per 24 hours limit).</summary>
    public IReadOnlyList<long> EncryptionCallsMs { get; init; } = [];

    /// <summary>The encryption status now, with a transition applied once its time has come.</summary>
    public string? EncryptionStatusAt(long nowMs) => EncryptionStatus switch
    {
        "ENABLING" when nowMs >= EncryptionSettlesMs => "ENABLED",
        "DISABLING" when nowMs >= EncryptionSettlesMs => "DISABLED",
        var s => s,
    };

    /// <summary>The stream the records are read from: the DirectPut backing stream or the Kinesis source.</summary>
    public string RecordStreamName => Type == DeliveryStreamType.DirectPut ? DeliveryStreamDefinition.BackingStreamName(Name) : SourceStreamName!;

    public DeliveryStreamDefinition ToDefinition() => new(
        Name,
        Arn,
        Type,
        VersionId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        DeliveryStreamCatalog.DestinationId,
        Destination,
        DestinationConfiguration,
        RecordStreamName,
        SourceStreamArn,
        DateTimeOffset.FromUnixTimeMilliseconds(CreatedMs));
}
