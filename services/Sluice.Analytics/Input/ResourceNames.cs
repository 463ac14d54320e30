namespace Sluice.Analytics.Input;

/// <summary>Names inside the ARNs an application refers to (streams, delivery streams, buckets), and the Firehose backing stream.</summary>
public static class ResourceNames
{
    /// <summary>The Streams stream that holds a Firehose delivery stream's records (appended before its ack).</summary>
    public static string FirehoseBackingStream(string deliveryStream) => "firehose-" + deliveryStream;

    public static string? StreamOf(string arn) => After(arn, "arn:aws:kinesis:", ":stream/");

    public static string? DeliveryStreamOf(string arn) => After(arn, "arn:aws:firehose:", ":deliverystream/");

    public static string? BucketOf(string arn) =>
        arn.StartsWith("arn:aws:s3:::", StringComparison.Ordinal) && arn.Length > "arn:aws:s3:::".Length ? arn["arn:aws:s3:::".Length..] : null;

    /// <summary>The Streams stream a Kinesis or Firehose ARN reads from or writes to.</summary>
    public static string? BackingStreamOf(string arn) =>
        StreamOf(arn) ?? (DeliveryStreamOf(arn) is { } ds ? FirehoseBackingStream(ds) : null);

    private static string? After(string arn, string prefix, string marker)
    {
        if (!arn.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var at = arn.IndexOf(marker, prefix.Length, StringComparison.Ordinal);
        if (at < 0) return null;
        var name = arn[(at + marker.Length)..];
        return name.Length > 0 && name.IndexOf('/', StringComparison.Ordinal) < 0 ? name : null;
    }
}
