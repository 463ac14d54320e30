using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sluice.Grpc;
using Sluice.Streams.V1;

namespace Sluice.Streams.Client;

/// <summary>
/// Records of a stream for a consumer group, at least once and in order per shard, the KCL way: the worker takes its
/// fair share of the group's leases, follows each leased shard from its checkpoint, checkpoints after the handler
/// returns, finishes a parent before its children start, gives up shards whose lease it lost, and on cancellation
/// stops and releases its leases so other workers take over at once.
/// </summary>
public sealed class StreamConsumer(StreamsClient client, StreamConsumerOptions options, ILogger? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger.Instance;
    private readonly Dictionary<string, ShardWorker> _workers = new(StringComparer.Ordinal);

    public StreamConsumerOptions Options => options;

    /// <summary>Shards this worker is processing now.</summary>
    public IReadOnlyList<string> HeldShards
    {
        get
        {
            lock (_workers) return _workers.Keys.Order(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Runs until <paramref name="ct"/> is cancelled (returns normally) or the handler throws (rethrown after the other shards stop).</summary>
    public async Task RunAsync(ShardBatchHandler handler, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Exception? failure = null;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                failure ??= Reap();
                if (failure is not null) break;
                var taken = await TakeAsync(stop.Token);
                if (taken is not null) Apply(taken, handler, stop.Token);
                Task[] waits;
                lock (_workers) waits = [Task.Delay(options.TakeInterval, stop.Token), .. _workers.Values.Select(w => w.Completion)];

                // A shard that ends wakes the loop, so its children are taken without waiting a whole interval.
                await Task.WhenAny(waits);
            }
        }
        catch (Exception e) when (ShardWorker.IsCancellation(e, stop.Token))
        {
        }
        finally
        {
            await stop.CancelAsync();
            ShardWorker[] running;
            lock (_workers) running = [.. _workers.Values];
            foreach (var worker in running)
            {
                try
                {
                    await worker.Completion;
                }
                catch (Exception e)
                {
                    failure ??= e;
                }
            }

            lock (_workers) _workers.Clear();
        }

        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// The records as a stream of batches: a batch counts as handled (and is checkpointed) when the caller asks for the
    /// next one. Ends when <paramref name="ct"/> is cancelled.
    /// </summary>
    public async IAsyncEnumerable<ShardBatch> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        var batches = Channel.CreateBounded<(ShardBatch Batch, TaskCompletionSource Handled)>(1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var run = Task.Run(async () =>
        {
            try
            {
                await RunAsync(async (batch, token) =>
                {
                    var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    await batches.Writer.WriteAsync((batch, handled), token);
                    await handled.Task.WaitAsync(token);
                }, stop.Token);
                batches.Writer.TryComplete();
            }
            catch (Exception e)
            {
                batches.Writer.TryComplete(e);
            }
        }, CancellationToken.None);

        try
        {
            while (await WaitAsync(batches.Reader, ct))
            {
                while (batches.Reader.TryRead(out var item))
                {
                    yield return item.Batch;
                    item.Handled.TrySetResult();
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }

    private static async Task<bool> WaitAsync<T>(ChannelReader<T> reader, CancellationToken ct)
    {
        try
        {
            return await reader.WaitToReadAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<TakeLeasesResponse?> TakeAsync(CancellationToken ct)
    {
        try
        {
            return await client.TakeLeasesAsync(new TakeLeasesRequest
            {
                StreamName = options.StreamName,
                ConsumerGroup = options.ConsumerGroup,
                WorkerId = options.WorkerId,
                LeaseDurationMs = (int)options.LeaseDuration.TotalMilliseconds,
            }, ct);
        }
        catch (Exception e) when (e is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.DeadlineExceeded } or HttpRequestException && !ct.IsCancellationRequested)
        {
            // Held shards keep going on their own renewals; the next round tries again.
            _logger.LogWarning("Taking leases of {Stream}/{Group} failed: {Message}", options.StreamName, options.ConsumerGroup, e.Message);
            return null;
        }
    }

    private void Apply(TakeLeasesResponse taken, ShardBatchHandler handler, CancellationToken ct)
    {
        var held = new HashSet<string>(StringComparer.Ordinal);
        lock (_workers)
        {
            foreach (var lease in taken.Leases)
            {
                if (_workers.TryGetValue(lease.ShardId, out var running))
                {
                    // Taken again under a new counter (it had expired): the running worker's calls would fail, so it
                    // stops, and the next round starts the shard afresh from its checkpoint once it has ended.
                    if (running.LeaseCounter == lease.LeaseCounter) held.Add(lease.ShardId);
                    continue;
                }

                held.Add(lease.ShardId);
                _logger.LogInformation("{Worker} took {Shard} (checkpoint {Checkpoint})", options.WorkerId, lease.ShardId, lease.Checkpoint?.SequenceNumber ?? "none");
                _workers[lease.ShardId] = ShardWorker.Start(client, options, lease, handler, _logger, ct);
            }

            // Not held any more (another worker took it) or held under a new counter: stop working on it.
            foreach (var worker in _workers.Values)
            {
                if (!held.Contains(worker.ShardId)) worker.Abandon();
            }
        }
    }

    /// <summary>Forgets workers that ended; returns the handler's exception when one failed.</summary>
    private Exception? Reap()
    {
        lock (_workers)
        {
            List<string>? done = null;
            foreach (var (shard, worker) in _workers)
            {
                if (!worker.Completion.IsCompleted) continue;
                if (worker.Completion.Exception is { } e) return e.InnerException ?? e;
                (done ??= []).Add(shard);
            }

            if (done is not null)
            {
                foreach (var shard in done) _workers.Remove(shard);
            }

            return null;
        }
    }
}
