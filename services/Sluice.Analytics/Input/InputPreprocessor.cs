using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Sluice.Streams.V1;

namespace Sluice.Analytics.Input;

/// <summary>What the pre-processing Lambda made of one source record.</summary>
public readonly record struct ProcessedRecord(Record Source, string Result, byte[]? Data);

/// <summary>
/// The InputProcessingConfiguration Lambda, called over HTTP (ARN → URL from --lambda-endpoints) with the KDA event
/// (records with kinesisStreamRecordMetadata or kinesisFirehoseRecordMetadata; approximateArrivalTimestamp in epoch
/// milliseconds). Failed calls are retried until they succeed; every recordId must come back once.
/// </summary>
public sealed class InputPreprocessor(HttpClient http, string url, string applicationArn, string sourceArn, bool firehose, ILogger logger)
{
    public async Task<List<ProcessedRecord>> ProcessAsync(string shardId, IReadOnlyList<Record> records, CancellationToken ct)
    {
        var items = new JsonArray();
        foreach (var r in records)
        {
            var item = new JsonObject { ["recordId"] = r.SequenceNumber };
            if (firehose)
            {
                item["kinesisFirehoseRecordMetadata"] = new JsonObject { ["approximateArrivalTimestamp"] = r.ApproximateArrivalTimestampMs };
            }
            else
            {
                item["kinesisStreamRecordMetadata"] = new JsonObject
                {
                    ["shardId"] = shardId,
                    ["partitionKey"] = r.PartitionKey,
                    ["sequenceNumber"] = r.SequenceNumber,
                    ["approximateArrivalTimestamp"] = r.ApproximateArrivalTimestampMs,
                };
            }

            item["data"] = Convert.ToBase64String(r.Data.Span);
            items.Add(item);
        }

        var payload = new JsonObject
        {
            ["invocationId"] = Guid.NewGuid().ToString(),
            ["applicationArn"] = applicationArn,
            ["streamArn"] = sourceArn,
            ["records"] = items,
        };
        var delay = TimeSpan.FromMilliseconds(200);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var response = await http.PostAsJsonAsync(url, payload, ct);
                response.EnsureSuccessStatusCode();
                var body = await response.Content.ReadFromJsonAsync<JsonObject>(ct) ?? throw new JsonException("empty response");
                return Match(records, body);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogWarning("Input processing Lambda {Url} failed (attempt {Attempt}), retrying: {Message}", url, attempt, e.Message);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    private static List<ProcessedRecord> Match(IReadOnlyList<Record> records, JsonObject body)
    {
        var byId = new Dictionary<string, (string Result, byte[]? Data)>(StringComparer.Ordinal);
        foreach (var item in body["records"] as JsonArray ?? throw new JsonException("the response has no records array"))
        {
            var id = (string?)item?["recordId"] ?? throw new JsonException("a response record has no recordId");
            var result = (string?)item?["result"] ?? throw new JsonException($"record {id} has no result");
            if (result is not ("Ok" or "Dropped" or "ProcessingFailed")) throw new JsonException($"record {id} has result '{result}' (Ok, Dropped or ProcessingFailed)");
            var data = (string?)item?["data"];
            if (!byId.TryAdd(id, (result, data is null ? null : Convert.FromBase64String(data)))) throw new JsonException($"record {id} came back twice");
        }

        var list = new List<ProcessedRecord>(records.Count);
        foreach (var r in records)
        {
            if (!byId.TryGetValue(r.SequenceNumber, out var processed)) throw new JsonException($"record {r.SequenceNumber} did not come back");
            list.Add(new ProcessedRecord(r, processed.Result, processed.Data));
        }

        return list;
    }
}
