using System.Text;
using System.Text.Json;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Destinations;
using Sluice.Firehose.Transform;

namespace Sluice.Firehose.Tests;

/// <summary>Delivery streams, records and batches built in a test, as the catalog and the delivery loops would hand them to the hooks.</summary>
internal static class TransformStreams
{
    public const string Account = "000000000000";

    public static DeliveryStreamDefinition Stream(string name, DestinationKind kind, string destinationJson, DeliveryStreamType type = DeliveryStreamType.DirectPut, string? sourceStreamArn = null)
    {
        using var doc = JsonDocument.Parse(destinationJson);
        return new DeliveryStreamDefinition(
            name,
            $"arn:aws:firehose:us-east-1:{Account}:deliverystream/{name}",
            type,
            "1",
            "destinationId-000000000001",
            kind,
            doc.RootElement.Clone(),
            type == DeliveryStreamType.DirectPut ? DeliveryStreamDefinition.BackingStreamName(name) : "orders",
            sourceStreamArn,
            DateTimeOffset.UtcNow);
    }

    public static SourceRecord Record(int i, string text, DateTimeOffset arrival) =>
        new(RecordId(i), Encoding.UTF8.GetBytes(text), arrival, null);

    /// <summary>A numeric-looking record id like the ones AWS uses, unique per index.</summary>
    public static string RecordId(int i) => "4954698668313554428650745793632167567570019247115678" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);

    public static DeliveryBatch Batch(DeliveryStreamDefinition stream, string batchId, params string[] records)
    {
        var list = new List<BufferedRecord>(records.Length);
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < records.Length; i++) list.Add(new BufferedRecord(Encoding.UTF8.GetBytes(records[i]), now, "4960000000000000000000000000000" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture), 0));
        return new DeliveryBatch(stream, batchId, "shardId-000000000000", list, now);
    }
}
