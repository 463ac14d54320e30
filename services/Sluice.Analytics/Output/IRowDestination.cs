namespace Sluice.Analytics.Output;

/// <summary>Where an application output's encoded rows go: queued in order, delivered by a flush.</summary>
public interface IRowDestination
{
    int Pending { get; }

    /// <summary>Per destination shard, the last sequence number written there (empty where there are no shards).</summary>
    Dictionary<string, string> Positions { get; }

    /// <summary>Queues row <paramref name="number"/> of this output (the array is kept, not copied).</summary>
    void Add(long number, byte[] data);

    /// <summary>Delivers what is queued (a destination with its own cadence may wait unless <paramref name="force"/>).</summary>
    Task FlushAsync(bool force, CancellationToken ct);
}
