using Npgsql;

namespace Sluice.Analytics.Storage;

/// <summary>Applications and checkpoints in the PostgreSQL schema <c>sluice_analytics</c>.</summary>
public sealed class PostgresAnalyticsStore(string connectionString) : IAnalyticsStore, IDisposable
{
    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    public Task InitializeAsync(CancellationToken ct) => ExecuteAsync("""
        CREATE SCHEMA IF NOT EXISTS sluice_analytics;
        CREATE TABLE IF NOT EXISTS sluice_analytics.applications (name TEXT PRIMARY KEY, document TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS sluice_analytics.checkpoints (name TEXT PRIMARY KEY, state BYTEA NOT NULL);
        """, ct);

    public async Task<IReadOnlyList<(string Name, string Document)>> LoadApplicationsAsync(CancellationToken ct)
    {
        await using var command = _source.CreateCommand("SELECT name, document FROM sluice_analytics.applications ORDER BY name");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<(string, string)>();
        while (await reader.ReadAsync(ct)) list.Add((reader.GetString(0), reader.GetString(1)));
        return list;
    }

    public Task SaveApplicationAsync(string name, string document, CancellationToken ct) => ExecuteAsync(
        "INSERT INTO sluice_analytics.applications (name, document) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET document = excluded.document", ct, name, document);

    public async Task DeleteApplicationAsync(string name, CancellationToken ct)
    {
        await ExecuteAsync("DELETE FROM sluice_analytics.applications WHERE name = $1", ct, name);
        await DeleteCheckpointAsync(name, ct);
    }

    public async Task<byte[]?> LoadCheckpointAsync(string name, CancellationToken ct)
    {
        await using var command = _source.CreateCommand("SELECT state FROM sluice_analytics.checkpoints WHERE name = $1");
        command.Parameters.AddWithValue(name);
        return await command.ExecuteScalarAsync(ct) as byte[];
    }

    public Task SaveCheckpointAsync(string name, byte[] checkpoint, CancellationToken ct) => ExecuteAsync(
        "INSERT INTO sluice_analytics.checkpoints (name, state) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET state = excluded.state", ct, name, checkpoint);

    public Task DeleteCheckpointAsync(string name, CancellationToken ct) => ExecuteAsync("DELETE FROM sluice_analytics.checkpoints WHERE name = $1", ct, name);

    public void Dispose() => _source.Dispose();

    private async Task ExecuteAsync(string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = _source.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.AddWithValue(p);
        await command.ExecuteNonQueryAsync(ct);
    }
}
