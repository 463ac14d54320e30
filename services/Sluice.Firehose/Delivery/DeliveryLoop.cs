using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Sluice.Firehose.Catalog;
using Sluice.Streams.Client;

namespace Sluice.Firehose.Delivery;

/// <summary>
/// The delivery loop of one delivery stream version: a <see cref="StreamConsumer"/> in the delivery stream's consumer group
/// on its source stream (replicas share the shards; a dead one's shards resume from its checkpoint), feeding one
/// <see cref="ShardDelivery"/> per leased shard. Restarts the consumer after a failure, from the checkpoints.
/// </summary>
internal sealed class DeliveryLoop
{
    private static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);
    private readonly DeliveryPlan _plan;
    private readonly DeliveryContext _context;
    private readonly StreamsClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, ShardDelivery> _shards = new(StringComparer.Ordinal);

    public DeliveryLoop(DeliveryStreamDefinition stream, DeliveryContext context, StreamsClient client)
    {
        _plan = DeliveryPlan.For(stream);
        _context = context;
        _client = client;
        Completion = Task.Run(RunAsync, CancellationToken.None);
    }

    public DeliveryStreamDefinition Stream => _plan.Stream;

    public Task Completion { get; }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Completion;
    }

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        var options = new StreamConsumerOptions
        {
            StreamName = _plan.Stream.SourceStreamName,
            ConsumerGroup = _plan.Stream.ConsumerGroup,

            // DirectPut reads its backing stream from the start; a Kinesis source starts at LATEST as AWS does.
            InitialPosition = _plan.Stream.Type == DeliveryStreamType.DirectPut ? InitialPosition.TrimHorizon : InitialPosition.Latest,
            CheckpointAfterBatch = false,
            NotifyShardEnd = true,
        };
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var consumer = new StreamConsumer(_client, options, _context.Logger);
                await consumer.RunAsync(HandleAsync, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                _context.Logger.LogWarning("{Stream}: delivery loop failed ({Message}); restarting from the checkpoints", _plan.Stream.Name, e.Message);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
            }

            _shards.Clear();
            try
            {
                await Task.Delay(RestartDelay, ct);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private Task HandleAsync(ShardBatch batch, CancellationToken ct)
    {
        if (!_shards.TryGetValue(batch.ShardId, out var shard) || shard.Cancellation != batch.ShardCancellation)
        {
            // A new worker for the shard (first lease, or re-taken): it resumes from the checkpoint, so start with an empty buffer.
            shard = new ShardDelivery(_plan, _context, batch.ShardId, batch.ShardCancellation);
            _shards[batch.ShardId] = shard;
        }

        return shard.HandleAsync(batch, ct);
    }
}
