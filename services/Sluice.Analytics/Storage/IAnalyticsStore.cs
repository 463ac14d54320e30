namespace Sluice.Analytics.Storage;

/// <summary>The Analytics service's durable state: application documents (config, version, status, tags) and run checkpoints.</summary>
public interface IAnalyticsStore
{
    Task InitializeAsync(CancellationToken ct);

    /// <summary>Every stored application as (name, JSON document).</summary>
    Task<IReadOnlyList<(string Name, string Document)>> LoadApplicationsAsync(CancellationToken ct);

    Task SaveApplicationAsync(string name, string document, CancellationToken ct);

    /// <summary>Removes the application and its checkpoint.</summary>
    Task DeleteApplicationAsync(string name, CancellationToken ct);

    Task<byte[]?> LoadCheckpointAsync(string name, CancellationToken ct);

    Task SaveCheckpointAsync(string name, byte[] checkpoint, CancellationToken ct);

    Task DeleteCheckpointAsync(string name, CancellationToken ct);
}
