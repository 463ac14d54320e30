using System.Diagnostics;
using System.Text.Json;
using Sluice.LoadGen.Wire;

namespace Sluice.LoadGen.Verify;

/// <summary>Reads one shard from TRIM_HORIZON, following NextShardIterator until caught up, and checks every record.</summary>
internal sealed class ShardReader(KinesisClient client, string streamName, ReadBackChecker checker)
{
    private const int Limit = 10_000;
    private const int MaxRetriesInARow = 20;
    // One empty page can be a transient gap; two in a row with MillisBehindLatest 0 means caught up.
    private const int EmptyPagesWhenCaughtUp = 2;
    private static readonly TimeSpan PollWhileBehind = TimeSpan.FromMilliseconds(100);

    /// <summary>Bounded by <paramref name="deadline"/> (a Stopwatch timestamp); stops early on a closed shard's end.</summary>
    public async Task<ShardTally> ReadAsync(string shardId, long deadline, CancellationToken ct)
    {
        var tally = new ShardTally(shardId);
        string? iterator = await GetTrimHorizonIteratorAsync(shardId, ct);
        int emptyPages = 0, retries = 0;
        while (iterator is not null)
        {
            if (Stopwatch.GetTimestamp() >= deadline)
            {
                tally.Incomplete = "verify timeout reached";
                break;
            }

            JsonDocument page;
            try
            {
                string current = iterator;
                page = await client.CallAsync(KinesisTarget.GetRecords, w =>
                {
                    w.WriteString("ShardIterator", current);
                    w.WriteNumber("Limit", Limit);
                }, ct);
            }
            catch (KinesisException e) when (e.Reply.IsRetryable && ++retries <= MaxRetriesInARow)
            {
                await Task.Delay(PollWhileBehind * retries, ct);
                continue;
            }

            retries = 0;
            using (page)
            {
                JsonElement root = page.RootElement;
                JsonElement records = root.GetProperty("Records");
                foreach (JsonElement record in records.EnumerateArray())
                {
                    checker.Check(record, tally);
                }

                // A null NextShardIterator marks the end of a closed shard.
                iterator = root.TryGetProperty("NextShardIterator", out JsonElement next) && next.ValueKind == JsonValueKind.String
                    ? next.GetString()
                    : null;
                long behind = root.TryGetProperty("MillisBehindLatest", out JsonElement ms) && ms.ValueKind == JsonValueKind.Number
                    ? ms.GetInt64()
                    : 0;

                if (records.GetArrayLength() > 0)
                {
                    emptyPages = 0;
                }
                else if (behind > 0)
                {
                    await Task.Delay(PollWhileBehind, ct);
                }
                else if (++emptyPages >= EmptyPagesWhenCaughtUp)
                {
                    break;
                }
            }
        }

        return tally;
    }

    private async Task<string?> GetTrimHorizonIteratorAsync(string shardId, CancellationToken ct)
    {
        using JsonDocument response = await client.CallAsync(KinesisTarget.GetShardIterator, w =>
        {
            w.WriteString("StreamName", streamName);
            w.WriteString("ShardId", shardId);
            w.WriteString("ShardIteratorType", "TRIM_HORIZON");
        }, ct);
        return response.RootElement.GetProperty("ShardIterator").GetString();
    }
}
