using Microsoft.Data.Sqlite;

namespace Sluice.Firehose.Storage;

/// <summary>The embedded store: firehose.db under the data directory, WAL with synchronous=FULL so a committed change survives a crash.</summary>
public sealed class SqliteDeliveryStreamStore : IDeliveryStreamStore
{
    private readonly string _connectionString;

    public SqliteDeliveryStreamStore(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDir, "firehose.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public bool Shared => false;

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS delivery_streams(name TEXT PRIMARY KEY, document TEXT NOT NULL);
            """;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyDictionary<string, string>> LoadAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT name, document FROM delivery_streams";
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) result[reader.GetString(0)] = reader.GetString(1);
        return result;
    }

    public async Task<bool> InsertAsync(string name, string document, CancellationToken ct) =>
        await ExecuteAsync("INSERT INTO delivery_streams(name, document) VALUES ($n, $d) ON CONFLICT(name) DO NOTHING", name, document, ct) == 1;

    public async Task<bool> UpdateAsync(string name, string expected, string document, CancellationToken ct) =>
        await ExecuteAsync("UPDATE delivery_streams SET document = $d WHERE name = $n AND document = $e", name, document, ct, expected) == 1;

    public Task DeleteAsync(string name, CancellationToken ct) => ExecuteAsync("DELETE FROM delivery_streams WHERE name = $n", name, null, ct);

    private async Task<int> ExecuteAsync(string sql, string name, string? document, CancellationToken ct, string? expected = null)
    {
        await using var connection = await OpenAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$n", name);
        if (document is not null) cmd.Parameters.AddWithValue("$d", document);
        if (expected is not null) cmd.Parameters.AddWithValue("$e", expected);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(ct);
        return connection;
    }
}
