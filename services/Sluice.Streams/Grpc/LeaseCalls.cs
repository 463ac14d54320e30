using Sluice.Grpc;
using Sluice.Streams.Api;
using Sluice.Streams.Catalog;
using Sluice.Streams.Leases;
using Sluice.Streams.V1;

namespace Sluice.Streams.Grpc;

/// <summary>What the lease calls share: request checks, the lost-lease status, and the wire shape of a lease.</summary>
internal static class LeaseCalls
{
    public const int DefaultDurationMs = 10_000;

    /// <summary>The stream of a lease call and its group and worker, checked.</summary>
    public static StreamState Stream(StreamsContext ctx, string streamName, string group, string? worker)
    {
        StreamsGrpc.Required(group, "consumer_group");
        if (group.Length > 256) throw StreamsGrpc.Invalid("consumer_group is at most 256 characters long.");
        if (worker is not null)
        {
            StreamsGrpc.Required(worker, "worker_id");
            if (worker.Length > 256) throw StreamsGrpc.Invalid("worker_id is at most 256 characters long.");
        }

        return ShardReads.ReadableStream(ctx, streamName);
    }

    public static long Duration(int leaseDurationMs) =>
        leaseDurationMs == 0 ? DefaultDurationMs
        : leaseDurationMs is < 1000 or > 600_000 ? throw StreamsGrpc.Invalid($"lease_duration_ms must be 1000 to 600000, not {leaseDurationMs}.")
        : leaseDurationMs;

    /// <summary>FAILED_PRECONDITION: the worker must stop processing the shard (another worker has it, or it expired and was taken).</summary>
    public static RpcException Lost(string group, string shardId, string worker, long counter) => new(new Status(StatusCode.FailedPrecondition,
        $"Lease lost: worker {worker} no longer holds {shardId} of consumer group {group} at lease counter {counter} (it expired, was taken by another worker or was released)."));

    public static Lease ToLease(LeaseRecord lease)
    {
        var l = new Lease { ShardId = lease.ShardId, Owner = lease.Owner ?? "", LeaseCounter = lease.Counter, ExpiresAtMs = lease.ExpiresMs };
        if (lease.Checkpoint is { } c) l.Checkpoint = new ShardCheckpoint { SequenceNumber = c.ShardEnd ? "" : c.SequenceNumber, SubSequenceNumber = c.SubSequenceNumber, ShardEnd = c.ShardEnd };
        l.ParentShardIds.Add(lease.ParentShardIds);
        return l;
    }
}
