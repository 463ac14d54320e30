using System.Diagnostics;
using System.Text.Json;
using Sluice.LoadGen.Wire;

namespace Sluice.LoadGen.Load;

/// <summary>One request in flight: fills a batch (due retries first, then fresh records), sends it, books each record's outcome.</summary>
internal sealed class LoadWorker(
    KinesisClient client, LoadGenOptions options, RecordPayloads payloads, RecordLedger ledger, ShardIdTable shards, RecordSource source)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan FirstRequestBackoff = TimeSpan.FromMilliseconds(20);

    private readonly LoadStats _stats = new();
    private readonly int[] _batch = new int[options.Batch];
    private readonly PutEntryResult[] _results = new PutEntryResult[options.Batch];
    // Rejected records wait out their own backoff here while fresh records keep flowing.
    private readonly PriorityQueue<int, long> _retries = new();

    public async Task<LoadStats> RunAsync(long deadline, CancellationToken ct)
    {
        using var writer = new RequestWriter(options.StreamName, payloads, options.Batch);
        using var response = new ResponseBuffer();
        int failedRequestsInARow = 0;

        // Bounded: every pass sends fresh records (finite) or retries (at most MaxAttempts each), and the deadline holds.
        while (!ct.IsCancellationRequested && source.StopReason is null && Stopwatch.GetTimestamp() < deadline)
        {
            try
            {
                int count = FillBatch();
                if (count == 0)
                {
                    if (!_retries.TryPeek(out _, out long due))
                    {
                        break;
                    }

                    // Only retries are left and none is due yet.
                    TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    await Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1), ct);
                    continue;
                }

                ReadOnlyMemory<byte> body = options.SingleRecordCalls ? writer.PutRecord(_batch[0]) : writer.PutRecords(_batch.AsSpan(0, count));
                int acknowledged = await SendAsync(body, count, response, ct);

                // Nothing got through (request rejected, or every entry throttled): slow this worker down, not just the records.
                failedRequestsInARow = acknowledged == 0 ? failedRequestsInARow + 1 : 0;
                if (failedRequestsInARow > 0)
                {
                    await Task.Delay(Backoff(FirstRequestBackoff, failedRequestsInARow), ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
        }

        return _stats;
    }

    private int FillBatch()
    {
        int count = 0;
        long now = Stopwatch.GetTimestamp();
        while (count < _batch.Length && _retries.TryPeek(out int index, out long due) && due <= now)
        {
            _retries.Dequeue();
            _batch[count++] = index;
        }

        return count + source.Claim(_batch.AsSpan(count));
    }

    /// <summary>Returns how many records of the batch were acknowledged.</summary>
    private async Task<int> SendAsync(ReadOnlyMemory<byte> body, int count, ResponseBuffer response, CancellationToken ct)
    {
        for (int i = 0; i < count; i++)
        {
            ledger.AddAttempt(_batch[i]);
        }

        string target = options.SingleRecordCalls ? KinesisTarget.PutRecord : KinesisTarget.PutRecords;
        long started = Stopwatch.GetTimestamp();
        KinesisReply reply;
        int failedRecordCount = 0;
        try
        {
            reply = await client.SendAsync(target, body, response, ct);
            _stats.Requests++;
            _stats.Latency.Record(Stopwatch.GetElapsedTime(started));
            if (reply.IsSuccess)
            {
                failedRecordCount = ReadResults(response.Span, count);
            }
        }
        catch (Exception e) when (IsTransportOrProtocolError(e, ct))
        {
            // The server may have stored these records before the failure: duplicates of them are expected.
            string error = KinesisError.Describe(e);
            LoadStats.Count(_stats.RequestErrors, error);
            source.RequestFailed(error);
            for (int i = 0; i < count; i++)
            {
                ledger.MarkAmbiguous(_batch[i]);
                Requeue(_batch[i], retryable: true);
            }

            return 0;
        }

        if (!reply.IsSuccess)
        {
            return RequestRejected(reply, count);
        }

        source.RequestAnswered();
        return BookResults(count, failedRecordCount);
    }

    private int ReadResults(ReadOnlySpan<byte> json, int count)
    {
        if (options.SingleRecordCalls)
        {
            _results[0] = PutResponseReader.ReadPutRecord(json, shards);
            return 0;
        }

        var (entries, failedRecordCount) = PutResponseReader.ReadPutRecords(json, _results, shards);
        if (entries != count)
        {
            throw new InvalidDataException($"PutRecords response has {entries} entries for {count} records.");
        }

        return failedRecordCount;
    }

    private int RequestRejected(KinesisReply reply, int count)
    {
        string error = reply.ErrorType ?? $"HTTP {reply.Status}";
        LoadStats.Count(_stats.RequestErrors, error);
        if (reply.IsRetryable)
        {
            source.RequestAnswered();
        }
        else
        {
            source.RequestFailed(error);
        }

        if (options.SingleRecordCalls)
        {
            _stats.FailedRecords++;
        }

        for (int i = 0; i < count; i++)
        {
            if (reply.Status >= 500)
            {
                ledger.MarkAmbiguous(_batch[i]);
            }

            Requeue(_batch[i], reply.IsRetryable);
        }

        return 0;
    }

    private int BookResults(int count, int failedRecordCount)
    {
        int failed = 0;
        for (int i = 0; i < count; i++)
        {
            int index = _batch[i];
            PutEntryResult result = _results[i];
            if (result.IsAcknowledged)
            {
                ledger.Acknowledge(index, result.SequenceNumber!, result.ShardIndex);
                _stats.RecordsAcknowledged++;
                _stats.BytesAcknowledged += options.RecordSize;
                continue;
            }

            failed++;
            LoadStats.Count(_stats.RecordErrors, result.ErrorCode ?? "NoSequenceNumber");
            Requeue(index, KinesisError.IsTransient(result.ErrorCode));
        }

        _stats.FailedRecords += failed;
        if (!options.SingleRecordCalls && failed != failedRecordCount)
        {
            // The server's count disagrees with its own entries: worth reporting, not worth failing the request.
            LoadStats.Count(_stats.RequestErrors, "FailedRecordCountMismatch");
        }

        return count - failed;
    }

    private void Requeue(int index, bool retryable)
    {
        int attempts = ledger.Attempts(index);
        if (options.RetryFailed && retryable && attempts < options.MaxAttempts)
        {
            long due = Stopwatch.GetTimestamp() + (long)(Backoff(FirstRetryDelay, attempts).TotalSeconds * Stopwatch.Frequency);
            _retries.Enqueue(index, due);
            _stats.Retries++;
        }
    }

    private static bool IsTransportOrProtocolError(Exception e, CancellationToken ct) =>
        e is HttpRequestException or IOException or InvalidDataException or JsonException
        || (e is TaskCanceledException && !ct.IsCancellationRequested);

    // Doubles per failure up to 1 s, with jitter so throttled workers and records do not retry in lockstep.
    private static TimeSpan Backoff(TimeSpan first, int failures)
    {
        double ms = Math.Min(MaxBackoff.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 10)));
        return TimeSpan.FromMilliseconds(ms * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}
