using System.Text.Json;
using Sluice.LoadGen.Load;

namespace Sluice.LoadGen.Verify;

/// <summary>Matches records read back against the ledger; shard readers call it concurrently.</summary>
internal sealed class ReadBackChecker(RecordPayloads payloads, RecordLedger ledger, ShardIdTable shardIds)
{
    private readonly int[] _occurrences = new int[ledger.Count];
    // 1 when some occurrence carried the acknowledged sequence number, shard, key and data.
    private readonly byte[] _matched = new byte[ledger.Count];

    public void Check(JsonElement record, ShardTally tally)
    {
        tally.RecordsRead++;
        string? sequenceNumber = record.TryGetProperty("SequenceNumber", out JsonElement sequence) ? sequence.GetString() : null;
        tally.ObserveSequenceNumber(sequenceNumber);

        // A record without readable data cannot be attributed; its acknowledged original then shows up as missing.
        if (!record.TryGetProperty("Data", out JsonElement dataElement)
            || !dataElement.TryGetBytesFromBase64(out byte[]? data)
            || !payloads.TryReadIndex(data, out int index)
            || index >= ledger.Count)
        {
            tally.Unrecognised++;
            return;
        }

        Interlocked.Increment(ref _occurrences[index]);
        if (ledger.IsAcknowledged(index)
            && sequenceNumber == ledger.SequenceNumber(index)
            && shardIds[ledger.ShardIndex(index)] == tally.ShardId
            && record.TryGetProperty("PartitionKey", out JsonElement key) && key.ValueEquals(payloads.PartitionKey(index))
            && payloads.Matches(index, data))
        {
            _matched[index] = 1;
        }
    }

    public VerificationResult Summarise(IReadOnlyCollection<ShardTally> shards, TimeSpan elapsed)
    {
        long verified = 0, missing = 0, mismatched = 0, duplicated = 0, expectedExtras = 0, unacknowledged = 0;
        for (int i = 0; i < ledger.Count; i++)
        {
            int seen = _occurrences[i];
            bool ambiguous = ledger.IsAmbiguous(i);
            if (ledger.IsAcknowledged(i))
            {
                if (seen == 0)
                {
                    missing++;
                }
                else if (_matched[i] == 1)
                {
                    verified++;
                }
                else
                {
                    mismatched++;
                }
            }
            else if (seen > 0)
            {
                // Stored without an acknowledgement: expected after a timeout or 5xx, a server bug after an explicit rejection.
                if (ambiguous)
                {
                    expectedExtras++;
                }
                else
                {
                    unacknowledged++;
                }
            }

            if (seen > 1)
            {
                if (ambiguous)
                {
                    expectedExtras += seen - 1;
                }
                else
                {
                    duplicated += seen - 1;
                }
            }
        }

        return new VerificationResult
        {
            Shards = shards.Count,
            RecordsRead = shards.Sum(s => s.RecordsRead),
            Verified = verified,
            Missing = missing,
            Duplicated = duplicated,
            Mismatched = mismatched,
            Unacknowledged = unacknowledged,
            ExpectedExtras = expectedExtras,
            OrderViolations = shards.Sum(s => s.OrderViolations),
            Unrecognised = shards.Sum(s => s.Unrecognised),
            Incomplete = shards.Select(s => s.Incomplete is null ? null : $"{s.ShardId}: {s.Incomplete}").FirstOrDefault(s => s is not null),
            ElapsedSeconds = Math.Round(elapsed.TotalSeconds, 3),
        };
    }
}
