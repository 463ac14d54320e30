namespace Sluice.Analytics.Storage;

/// <summary>
/// The Analytics service's durable state: application documents (config, version, status, tags), run checkpoints, and
/// the lease per application that lets exactly one runner among the replicas run it. Replicas share one store, so
/// every write that could race another replica is conditional.
/// </summary>
public interface IAnalyticsStore
{
    Task InitializeAsync(CancellationToken ct);

    /// <summary>Every stored application as (name, JSON document).</summary>
    Task<IReadOnlyList<(string Name, string Document)>> LoadApplicationsAsync(CancellationToken ct);

    /// <summary>One application's document, or null when it does not exist.</summary>
    Task<string?> LoadApplicationAsync(string name, CancellationToken ct);

    /// <summary>Stores a new application; false when one of that name exists already.</summary>
    Task<bool> CreateApplicationAsync(string name, string document, CancellationToken ct);

    /// <summary>Replaces the document only if it is still <paramref name="expected"/> (compare-and-set); false when another writer changed it.</summary>
    Task<bool> ReplaceApplicationAsync(string name, string expected, string document, CancellationToken ct);

    /// <summary>Removes the application, its checkpoint and its lease.</summary>
    Task DeleteApplicationAsync(string name, CancellationToken ct);

    Task<byte[]?> LoadCheckpointAsync(string name, CancellationToken ct);

    /// <summary>Stores the checkpoint only while <paramref name="lease"/> is current (same owner and counter); false when it is not.</summary>
    Task<bool> SaveCheckpointAsync(string name, byte[] checkpoint, ApplicationLease lease, CancellationToken ct);

    Task DeleteCheckpointAsync(string name, CancellationToken ct);

    /// <summary>
    /// Gives the application's lease to <paramref name="owner"/> if it is free, expired at <paramref name="nowMs"/> or
    /// already this owner's, with a new counter; null when another owner holds it.
    /// </summary>
    Task<ApplicationLease?> TakeLeaseAsync(string name, string owner, long nowMs, long expiresMs, CancellationToken ct);

    /// <summary>Extends the lease if its owner still holds it at that counter; null when it does not.</summary>
    Task<ApplicationLease?> RenewLeaseAsync(ApplicationLease lease, long expiresMs, CancellationToken ct);

    /// <summary>Frees the lease (and moves the counter on) if its owner still holds it at that counter.</summary>
    Task ReleaseLeaseAsync(ApplicationLease lease, CancellationToken ct);

    /// <summary>Records that the runner <paramref name="owner"/> is alive until <paramref name="expiresMs"/>; returns how many runners are alive at <paramref name="nowMs"/>.</summary>
    Task<int> HeartbeatAsync(string owner, long nowMs, long expiresMs, CancellationToken ct);
}
