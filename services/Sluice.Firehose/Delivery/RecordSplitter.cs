using System.Text.Json;

namespace Sluice.Firehose.Delivery;

/// <summary>The RecordDeAggregation processor: splits one record into the JSON objects or delimited lines it holds.</summary>
public static class RecordSplitter
{
    /// <summary>Appends the sub-records of <paramref name="data"/> to <paramref name="output"/>; a record that does not split is passed whole.</summary>
    public static void Split(DeAggregation how, ReadOnlyMemory<byte> data, List<ReadOnlyMemory<byte>> output)
    {
        if (how.Json) SplitJson(data, output);
        else SplitDelimited(data, how.Delimiter, output);
    }

    private static void SplitJson(ReadOnlyMemory<byte> data, List<ReadOnlyMemory<byte>> output)
    {
        var start = output.Count;
        var reader = new Utf8JsonReader(data.Span, new JsonReaderOptions { AllowMultipleValues = true });
        try
        {
            while (reader.Read())
            {
                var begin = (int)reader.TokenStartIndex;
                reader.Skip();
                output.Add(data[begin..(int)reader.BytesConsumed]);
            }
        }
        catch (JsonException)
        {
            // Not concatenated JSON: deliver it as it came (a later MetadataExtraction reports it as failed).
            output.RemoveRange(start, output.Count - start);
            output.Add(data);
        }
    }

    private static void SplitDelimited(ReadOnlyMemory<byte> data, byte[] delimiter, List<ReadOnlyMemory<byte>> output)
    {
        var rest = data;
        while (true)
        {
            var at = rest.Span.IndexOf(delimiter);
            if (at < 0)
            {
                if (rest.Length > 0) output.Add(rest);
                return;
            }

            if (at > 0) output.Add(rest[..at]);
            rest = rest[(at + delimiter.Length)..];
        }
    }
}
