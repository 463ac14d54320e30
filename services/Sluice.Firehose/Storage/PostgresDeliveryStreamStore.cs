using Npgsql;

namespace Sluice.Firehose.Storage;

/// <summary>The cluster store: table sluice_firehose.delivery_streams, shared by every Firehose replica.</summary>
public sealed class PostgresDeliveryStreamStore(string connectionString) : IDeliveryStreamStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _db = NpgsqlDataSource.Create(connectionString);

    public bool Shared => true;

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("""
            CREATE SCHEMA IF NOT EXISTS sluice_firehose;
            CREATE TABLE IF NOT EXISTS sluice_firehose.delivery_streams(name text PRIMARY KEY, document text NOT NULL);
            """);
        try
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject)
        {
            // Another replica created the schema at the same moment; it exists now.
        }
    }

    public async Task<IReadOnlyDictionary<string, string>> LoadAsync(CancellationToken ct)
    {
        await using var cmd = _db.CreateCommand("SELECT name, document FROM sluice_firehose.delivery_streams");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result[reader.GetString(0)] = reader.GetString(1);
        return result;
    }

    public async Task<bool> InsertAsync(string name, string document, CancellationToken ct) =>
        await ExecuteAsync("INSERT INTO sluice_firehose.delivery_streams(name, document) VALUES ($1, $2) ON CONFLICT(name) DO NOTHING", name, document, ct) == 1;

    public async Task<bool> UpdateAsync(string name, string expected, string document, CancellationToken ct) =>
        await ExecuteAsync("UPDATE sluice_firehose.delivery_streams SET document = $2 WHERE name = $1 AND document = $3", name, document, ct, expected) == 1;

    public Task DeleteAsync(string name, CancellationToken ct) => ExecuteAsync("DELETE FROM sluice_firehose.delivery_streams WHERE name = $1", name, null, ct);

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    private async Task<int> ExecuteAsync(string sql, string name, string? document, CancellationToken ct, string? expected = null)
    {
        await using var cmd = _db.CreateCommand(sql);
        cmd.Parameters.AddWithValue(name);
        if (document is not null) cmd.Parameters.AddWithValue(document);
        if (expected is not null) cmd.Parameters.AddWithValue(expected);
        return await cmd.ExecuteNonQueryAsync(ct);
    }
}
