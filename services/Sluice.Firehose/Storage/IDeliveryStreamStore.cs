namespace Sluice.Firehose.Storage;

/// <summary>
/// Where delivery streams are kept: one JSON document per delivery stream, keyed by name. The catalog above it owns the
/// document's shape; the store only keeps it durably and tells whether other replicas can change it too.
/// </summary>
public interface IDeliveryStreamStore
{
    /// <summary>True when other replicas write the same store (PostgreSQL), so the catalog must look for their changes.</summary>
    bool Shared { get; }

    Task InitializeAsync(CancellationToken ct);

    /// <summary>Every stored document, by name.</summary>
    Task<IReadOnlyDictionary<string, string>> LoadAsync(CancellationToken ct);

    /// <summary>Stores a new delivery stream; false when one of that name is already stored.</summary>
    Task<bool> InsertAsync(string name, string document, CancellationToken ct);

    /// <summary>Replaces the document if it is still <paramref name="expected"/>; false when another replica changed or deleted it first.</summary>
    Task<bool> UpdateAsync(string name, string expected, string document, CancellationToken ct);

    Task DeleteAsync(string name, CancellationToken ct);
}
