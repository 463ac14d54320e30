using Microsoft.Data.Sqlite;

namespace Sluice.Analytics.Storage;

/// <summary>Applications and checkpoints in <c>&lt;DataDir&gt;/analytics.db</c> (SQLite, WAL).</summary>
public sealed class SqliteAnalyticsStore(string dataDir) : IAnalyticsStore
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(dataDir, "analytics.db"),
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
    }.ToString();

    private readonly SemaphoreSlim _write = new(1, 1);

    public async Task InitializeAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(dataDir);
        await ExecuteAsync("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS applications (name TEXT PRIMARY KEY, document TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, state BLOB NOT NULL);
            """, ct);
    }

    public async Task<IReadOnlyList<(string Name, string Document)>> LoadApplicationsAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT name, document FROM applications ORDER BY name";
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<(string, string)>();
        while (await reader.ReadAsync(ct)) list.Add((reader.GetString(0), reader.GetString(1)));
        return list;
    }

    public Task SaveApplicationAsync(string name, string document, CancellationToken ct) =>
        ExecuteAsync("INSERT INTO applications (name, document) VALUES ($n, $d) ON CONFLICT(name) DO UPDATE SET document = excluded.document", ct, ("$n", name), ("$d", document));

    public Task DeleteApplicationAsync(string name, CancellationToken ct) =>
        ExecuteAsync("DELETE FROM applications WHERE name = $n; DELETE FROM checkpoints WHERE name = $n", ct, ("$n", name));

    public async Task<byte[]?> LoadCheckpointAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT state FROM checkpoints WHERE name = $n";
        command.Parameters.AddWithValue("$n", name);
        return await command.ExecuteScalarAsync(ct) as byte[];
    }

    public Task SaveCheckpointAsync(string name, byte[] checkpoint, CancellationToken ct) =>
        ExecuteAsync("INSERT INTO checkpoints (name, state) VALUES ($n, $s) ON CONFLICT(name) DO UPDATE SET state = excluded.state", ct, ("$n", name), ("$s", checkpoint));

    public Task DeleteCheckpointAsync(string name, CancellationToken ct) => ExecuteAsync("DELETE FROM checkpoints WHERE name = $n", ct, ("$n", name));

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await _write.WaitAsync(ct);
        try
        {
            await using var connection = await OpenAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (n, v) in parameters) command.Parameters.AddWithValue(n, v);
            await command.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            _write.Release();
        }
    }
}
