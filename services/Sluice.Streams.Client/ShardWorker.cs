using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Sluice.Grpc;
using Sluice.Streams.V1;

namespace Sluice.Streams.Client;

/// <summary>How a shard worker ended.</summary>
internal enum ShardOutcome
{
    Running,
    Finished,
    Lost,
    Stopped,
}

/// <summary>
/// One leased shard of a <see cref="StreamConsumer"/>: renews the lease, subscribes from the checkpoint, hands batches to
/// the handler in order and checkpoints them, and at the shard's end checkpoints SHARD_END so the children can start.
/// </summary>
internal sealed class ShardWorker
{
    private static readonly TimeSpan FinalCallTimeout = TimeSpan.FromSeconds(5);
    private readonly StreamsClient _client;
    private readonly StreamConsumerOptions _options;
    private readonly Lease _lease;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _cts;
    private long _validUntil;

    private ShardWorker(StreamsClient client, StreamConsumerOptions options, Lease lease, ILogger logger, CancellationToken consumer)
    {
        _client = client;
        _options = options;
        _lease = lease;
        _logger = logger;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(consumer);
        _validUntil = Stopwatch.GetTimestamp() + (long)(options.LeaseDuration.TotalSeconds * Stopwatch.Frequency);
        Completion = Task.CompletedTask;
    }

    public string ShardId => _lease.ShardId;

    /// <summary>The counter of the lease this worker holds: its proof of ownership in every call.</summary>
    public long LeaseCounter => _lease.LeaseCounter;

    public CancellationToken Cancellation => _cts.Token;

    public ShardOutcome Outcome { get; private set; } = ShardOutcome.Running;

    /// <summary>Ends normally for every outcome; faults only when the handler failed.</summary>
    public Task Completion { get; private set; }

    public static ShardWorker Start(StreamsClient client, StreamConsumerOptions options, Lease lease, ShardBatchHandler handler, ILogger logger, CancellationToken consumer)
    {
        var worker = new ShardWorker(client, options, lease, logger, consumer);
        worker.Completion = Task.Run(() => worker.RunAsync(handler), CancellationToken.None);
        return worker;
    }

    /// <summary>The lease is gone (another worker holds it now): stop at once, without a checkpoint.</summary>
    public void Abandon()
    {
        if (Outcome == ShardOutcome.Running) Outcome = ShardOutcome.Lost;
        _cts.Cancel();
    }

    public async Task CheckpointAsync(string sequenceNumber, long subSequenceNumber, CancellationToken ct) =>
        await CheckpointAsync(new ShardCheckpoint { SequenceNumber = sequenceNumber, SubSequenceNumber = subSequenceNumber }, ct);

    private async Task RunAsync(ShardBatchHandler handler)
    {
        var renewals = RenewAsync();
        try
        {
            await ReadAsync(handler);
        }
        catch (LeaseLostException e)
        {
            Outcome = ShardOutcome.Lost;
            _logger.LogInformation("{Shard}: {Message}", ShardId, e.Message);
        }
        catch (Exception e) when (IsCancellation(e, _cts.Token))
        {
        }
        finally
        {
            if (Outcome == ShardOutcome.Running) Outcome = ShardOutcome.Stopped;
            await _cts.CancelAsync();
            await renewals;
            if (Outcome == ShardOutcome.Stopped) await ReleaseAsync();
        }
    }

    private async Task ReadAsync(ShardBatchHandler handler)
    {
        var ct = _cts.Token;
        var (position, skip) = ResumePosition();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                using var call = _client.Subscribe(new SubscribeRequest
                {
                    StreamName = _options.StreamName,
                    ShardId = ShardId,
                    Position = position,
                    MaxRecordsPerEvent = _options.MaxBatchRecords,
                }, ct);
                while (await call.ResponseStream.MoveNext(ct))
                {
                    var push = call.ResponseStream.Current;
                    IReadOnlyList<Record> records = push.Records;

                    // Resuming at a checkpoint re-reads the checkpointed record itself (AT, as the KCL does, so an
                    // aggregated record can resume mid-way once de-aggregation is wired in); a whole record was handled.
                    if (skip is not null && records.Count > 0)
                    {
                        if (records[0].SequenceNumber == skip) records = push.Records.Skip(1).ToList();
                        skip = null;
                    }

                    if (records.Count > 0 || push.ShardEnd && _options.NotifyShardEnd)
                    {
                        await handler(new ShardBatch(this, records, push.MillisBehindLatest, push.ShardEnd), ct);
                        if (_options.CheckpointAfterBatch && records.Count > 0)
                        {
                            // The batch was handled: record that even while the consumer is stopping.
                            using var timeout = new CancellationTokenSource(FinalCallTimeout);
                            await CheckpointAsync(new ShardCheckpoint { SequenceNumber = records[^1].SequenceNumber }, timeout.Token);
                        }
                    }

                    if (push.ShardEnd)
                    {
                        using var timeout = new CancellationTokenSource(FinalCallTimeout);
                        await CheckpointAsync(new ShardCheckpoint { ShardEnd = true }, timeout.Token);
                        Outcome = ShardOutcome.Finished;
                        _logger.LogInformation("{Shard}: finished at its end; children: {Children}", ShardId, string.Join(",", push.ChildShards.Select(c => c.ShardId)));
                        return;
                    }

                    position = new StartingPosition { Type = StartingPosition.Types.Type.AtSequenceNumber, SequenceNumber = push.ContinuationSequenceNumber };
                }
            }
            catch (RpcException e) when (!ct.IsCancellationRequested && e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled or StatusCode.DeadlineExceeded)
            {
                _logger.LogWarning("{Shard}: subscription ended ({Status}: {Detail}); subscribing again", ShardId, e.StatusCode, e.Status.Detail);
            }
            catch (HttpRequestException e) when (!ct.IsCancellationRequested)
            {
                _logger.LogWarning("{Shard}: server unreachable ({Message}); subscribing again", ShardId, e.Message);
            }

            await Task.Delay(_options.RetryDelay, ct);
        }
    }

    private (StartingPosition Position, string? Skip) ResumePosition()
    {
        if (_lease.Checkpoint is { ShardEnd: false } checkpoint && checkpoint.SequenceNumber.Length > 0)
        {
            return (new StartingPosition { Type = StartingPosition.Types.Type.AtSequenceNumber, SequenceNumber = checkpoint.SequenceNumber }, checkpoint.SequenceNumber);
        }

        // A child shard starts at its beginning, so nothing written after the parents closed is skipped.
        var type = _lease.ParentShardIds.Count > 0 || _options.InitialPosition == InitialPosition.TrimHorizon
            ? StartingPosition.Types.Type.TrimHorizon
            : StartingPosition.Types.Type.Latest;
        return (new StartingPosition { Type = type }, null);
    }

    private async Task CheckpointAsync(ShardCheckpoint checkpoint, CancellationToken ct)
    {
        try
        {
            await _client.CheckpointAsync(new CheckpointRequest
            {
                StreamName = _options.StreamName,
                ConsumerGroup = _options.ConsumerGroup,
                WorkerId = _options.WorkerId,
                ShardId = ShardId,
                LeaseCounter = _lease.LeaseCounter,
                Checkpoint = checkpoint,
            }, ct);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
        {
            Abandon();
            throw new LeaseLostException(e.Status.Detail, e);
        }
    }

    private async Task RenewAsync()
    {
        var ct = _cts.Token;
        try
        {
            while (true)
            {
                await Task.Delay(_options.Renewal, ct);
                try
                {
                    await _client.RenewLeaseAsync(new RenewLeaseRequest
                    {
                        StreamName = _options.StreamName,
                        ConsumerGroup = _options.ConsumerGroup,
                        WorkerId = _options.WorkerId,
                        ShardId = ShardId,
                        LeaseCounter = _lease.LeaseCounter,
                        LeaseDurationMs = (int)_options.LeaseDuration.TotalMilliseconds,
                    }, ct);
                    Volatile.Write(ref _validUntil, Stopwatch.GetTimestamp() + (long)(_options.LeaseDuration.TotalSeconds * Stopwatch.Frequency));
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition)
                {
                    _logger.LogInformation("{Shard}: {Message}", ShardId, e.Status.Detail);
                    Abandon();
                    return;
                }
                catch (Exception e) when (e is RpcException or HttpRequestException && !ct.IsCancellationRequested)
                {
                    // Without a renewal the lease may have passed to another worker: stop before it expires.
                    if (Stopwatch.GetTimestamp() >= Volatile.Read(ref _validUntil))
                    {
                        _logger.LogWarning("{Shard}: lease could not be renewed before it expired ({Message}); giving the shard up", ShardId, e.Message);
                        Abandon();
                        return;
                    }
                }
            }
        }
        catch (Exception e) when (IsCancellation(e, ct))
        {
        }
    }

    /// <summary>A call or wait ended because the token was cancelled (the gRPC client reports that as CANCELLED).</summary>
    internal static bool IsCancellation(Exception e, CancellationToken ct) =>
        ct.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled };

    private async Task ReleaseAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(FinalCallTimeout);
            await _client.ReleaseLeaseAsync(new ReleaseLeaseRequest
            {
                StreamName = _options.StreamName,
                ConsumerGroup = _options.ConsumerGroup,
                WorkerId = _options.WorkerId,
                ShardId = ShardId,
                LeaseCounter = _lease.LeaseCounter,
            }, timeout.Token);
        }
        catch (Exception e) when (e is RpcException or HttpRequestException or OperationCanceledException)
        {
            // The lease then expires on its own.
            _logger.LogDebug("{Shard}: release failed: {Message}", ShardId, e.Message);
        }
    }
}
