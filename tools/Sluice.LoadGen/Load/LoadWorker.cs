using System.Diagnostics;
using System.Text.Json;
using Sluice.LoadGen.Wire;

namespace Sluice.LoadGen.Load;

/// <summary>One request in flight: fills a batch (retries first, then fresh records), sends it, books each record's outcome.</summary>
internal sealed class LoadWorker(
    KinesisClient client, LoadGenOptions options, RecordPayloads payloads, RecordLedger ledger, ShardIdTable shards, RecordSource source)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    private readonly LoadStats _stats = new();
    private readonly int[] _batch = new int[options.Batch];
    private readonly PutEntryResult[] _results = new PutEntryResult[options.Batch];
    private readonly Queue<int> _retries = new();

    public async Task<LoadStats> RunAsync(long deadline, CancellationToken ct)
    {
        using var writer = new RequestWriter(options.StreamName, payloads, options.Batch);
        using var response = new ResponseBuffer();
        int failingRequests = 0;

        // Bounded: every pass sends fresh records (finite) or retries (at most MaxAttempts each), and the deadline holds.
        while (!ct.IsCancellationRequested && source.StopReason is null && Stopwatch.GetTimestamp() < deadline)
        {
            int count = FillBatch();
            if (count == 0)
            {
                break;
            }

            ReadOnlyMemory<byte> body = options.SingleRecordCalls ? writer.PutRecord(_batch[0]) : writer.PutRecords(_batch.AsSpan(0, count));
            try
            {
                bool allAcknowledged = await SendAsync(body, count, response, ct);
                failingRequests = allAcknowledged ? 0 : failingRequests + 1;
                if (!allAcknowledged && _retries.Count > 0)
                {
                    await Task.Delay(Backoff(failingRequests), ct);
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
        while (count < _batch.Length && _retries.TryDequeue(out int index))
        {
            _batch[count++] = index;
        }

        return count + source.Claim(_batch.AsSpan(count));
    }

    /// <summary>Returns true when every record in the batch was acknowledged.</summary>
    private async Task<bool> SendAsync(ReadOnlyMemory<byte> body, int count, ResponseBuffer response, CancellationToken ct)
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

            return false;
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

    private bool RequestRejected(KinesisReply reply, int count)
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

        return false;
    }

    private bool BookResults(int count, int failedRecordCount)
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

        return failed == 0;
    }

    private void Requeue(int index, bool retryable)
    {
        if (options.RetryFailed && retryable && ledger.Attempts(index) < options.MaxAttempts)
        {
            _retries.Enqueue(index);
            _stats.Retries++;
        }
    }

    private static bool IsTransportOrProtocolError(Exception e, CancellationToken ct) =>
        e is HttpRequestException or IOException or InvalidDataException or JsonException
        || (e is TaskCanceledException && !ct.IsCancellationRequested);

    // Exponential from 20 ms to 1 s with jitter, so throttled workers do not retry in lockstep.
    private static TimeSpan Backoff(int failingRequests)
    {
        double ms = Math.Min(MaxBackoff.TotalMilliseconds, 10 * Math.Pow(2, Math.Min(failingRequests, 10)));
        return TimeSpan.FromMilliseconds(ms * (0.5 + (Random.Shared.NextDouble() / 2)));
    }
}
