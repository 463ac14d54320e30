using Sluice.AwsProtocol;
using Sluice.Streams.Catalog;

namespace Sluice.Streams.Api;

/// <summary>Checks the three resharding operations share.</summary>
internal static class Resharding
{
    public static void RequireProvisioned(StreamState stream, string operation)
    {
        if (stream.Mode == "ON_DEMAND")
        {
            throw AwsException.Validation($"{operation} is not supported for stream {stream.Name} because it is in ON_DEMAND capacity mode.");
        }
    }

    /// <summary>An open shard by id: ResourceNotFound when unknown, ResourceInUse when already split or merged.</summary>
    public static ShardState OpenShard(StreamCatalog catalog, StreamState stream, string shardId)
    {
        var shard = stream.FindShard(shardId) ?? throw AwsException.NotFound($"Could not find shard {shardId} in stream {stream.Name} under account {catalog.Arns.Account}.");
        if (!shard.IsOpen)
        {
            throw AwsException.InUse($"Shard {shardId} in stream {stream.Name} under account {catalog.Arns.Account} has already been merged or split, and thus is not eligible for merging or splitting.");
        }

        return shard;
    }

    /// <summary>Wakes the readers at the tips of the stream's closed shards, so push subscribers see the end at once.</summary>
    public static void SignalClosed(StreamsContext ctx, StreamState stream) =>
        ctx.Signals.Notify(stream.Id, stream.Shards.Where(s => !s.IsOpen).Select(s => s.Index).ToList());
}
