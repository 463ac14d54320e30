using Sluice.Streams.Api;
using Sluice.Streams.Leases;
using Sluice.Streams.Shards;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>
/// Checkpoint: records progress in a shard the worker holds. The sequence number must be one of the shard's; SHARD_END
/// only for a closed shard, and it frees the lease for good so the shard's children can be handed out.
/// </summary>
internal static class Checkpoint
{
    public static async Task<Lease> HandleAsync(StreamsContext ctx, CheckpointRequest request, CancellationToken ct)
    {
        var (stream, shard) = ShardReads.Find(ctx, request.StreamName, request.ShardId);
        LeaseCalls.Stream(ctx, request.StreamName, request.ConsumerGroup, request.WorkerId);
        var c = request.Checkpoint ?? throw StreamsGrpc.Invalid("checkpoint is required.");
        LeaseCheckpoint checkpoint;
        if (c.ShardEnd)
        {
            if (shard.IsOpen) throw StreamsGrpc.Invalid($"{shard.ShardId} is open: SHARD_END can be checkpointed only once a shard is closed and read to its end.");
            checkpoint = LeaseCheckpoint.AtShardEnd;
        }
        else
        {
            if (!SequenceNumbers.TryParse(c.SequenceNumber, out var parsed) || parsed.ShardIndex != shard.Index || parsed.ShardCreatedSeconds != shard.CreatedSeconds)
            {
                throw StreamsGrpc.Invalid($"checkpoint.sequence_number '{c.SequenceNumber}' is not a sequence number of {shard.ShardId}.");
            }

            if (c.SubSequenceNumber < 0) throw StreamsGrpc.Invalid($"checkpoint.sub_sequence_number must not be negative, not {c.SubSequenceNumber}.");
            checkpoint = new LeaseCheckpoint(c.SequenceNumber, c.SubSequenceNumber, false);
        }

        var lease = await ctx.LeaseStore.CheckpointAsync(stream.Id, request.ConsumerGroup, shard.ShardId, request.WorkerId, request.LeaseCounter, checkpoint, ct)
            ?? throw LeaseCalls.Lost(request.ConsumerGroup, shard.ShardId, request.WorkerId, request.LeaseCounter);
        return LeaseCalls.ToLease(lease);
    }
}
