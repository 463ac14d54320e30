using System.Diagnostics;
using System.Text.Json;
using Sluice.LoadGen.Wire;

namespace Sluice.LoadGen;

/// <summary>The control-plane calls a run needs: create, wait for ACTIVE, list shards, delete.</summary>
internal sealed class StreamSetup(KinesisClient client, string streamName)
{
    private static readonly TimeSpan ActiveTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private const int MaxShardPages = 1000;

    public async Task CreateAsync(int shards, CancellationToken ct)
    {
        using var _ = await client.CallAsync(KinesisTarget.CreateStream, w =>
        {
            w.WriteString("StreamName", streamName);
            w.WriteNumber("ShardCount", shards);
        }, ct);
    }

    /// <summary>Polls DescribeStreamSummary until the stream is ACTIVE; returns its open shard count.</summary>
    public async Task<int> WaitUntilActiveAsync(bool justCreated, CancellationToken ct)
    {
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                using JsonDocument summary = await client.CallAsync(KinesisTarget.DescribeStreamSummary, w => w.WriteString("StreamName", streamName), ct);
                JsonElement description = summary.RootElement.GetProperty("StreamDescriptionSummary");
                string? status = description.GetProperty("StreamStatus").GetString();
                if (status is "ACTIVE" or "UPDATING")
                {
                    return description.TryGetProperty("OpenShardCount", out JsonElement open) ? open.GetInt32() : 0;
                }

                if (status is not "CREATING")
                {
                    throw new InvalidOperationException($"Stream {streamName} is {status}, not ACTIVE.");
                }
            }
            catch (KinesisException e) when (e.Reply.ErrorType == "ResourceNotFoundException" && justCreated)
            {
                // A stream can take a moment to become visible after CreateStream returns.
            }
            catch (KinesisException e) when (e.Reply.ErrorType == "ResourceNotFoundException")
            {
                throw new InvalidOperationException($"Stream {streamName} does not exist; pass --create to make it.", e);
            }

            if (Stopwatch.GetElapsedTime(started) > ActiveTimeout)
            {
                throw new TimeoutException($"Stream {streamName} not ACTIVE after {ActiveTimeout.TotalSeconds:0} s.");
            }

            await Task.Delay(PollInterval, ct);
        }
    }

    public async Task<List<string>> ListShardsAsync(CancellationToken ct)
    {
        var shardIds = new List<string>();
        string? nextToken = null;
        for (int page = 0; page < MaxShardPages; page++)
        {
            string? token = nextToken;
            using JsonDocument response = await client.CallAsync(KinesisTarget.ListShards, w =>
            {
                // NextToken must not be combined with StreamName.
                if (token is null)
                {
                    w.WriteString("StreamName", streamName);
                }
                else
                {
                    w.WriteString("NextToken", token);
                }
            }, ct);

            foreach (JsonElement shard in response.RootElement.GetProperty("Shards").EnumerateArray())
            {
                shardIds.Add(shard.GetProperty("ShardId").GetString()!);
            }

            nextToken = response.RootElement.TryGetProperty("NextToken", out JsonElement next) ? next.GetString() : null;
            if (nextToken is null)
            {
                return shardIds;
            }
        }

        throw new InvalidDataException($"ListShards still paging after {MaxShardPages} pages.");
    }

    public async Task DeleteAsync(CancellationToken ct)
    {
        using var _ = await client.CallAsync(KinesisTarget.DeleteStream, w =>
        {
            w.WriteString("StreamName", streamName);
            w.WriteBoolean("EnforceConsumerDeletion", true);
        }, ct);
    }
}
