using Microsoft.Data.Sqlite;

namespace Sluice.Analytics.Storage;

/// <summary>Applications, checkpoints and leases in <c>&lt;DataDir&gt;/analytics.db</c> (SQLite, WAL).</summary>
public sealed class SqliteAnalyticsStore(string dataDir) : IAnalyticsStore
{
    private const string LeaseColumns = "name, owner, counter, expires_ms";

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
            CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, owner TEXT, counter INTEGER NOT NULL, expires_ms INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS runners (owner TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL);
            """, ct);

        // The file belongs to this one process: leases a previous process left behind (a crash) are void, so its
        // applications resume at once instead of after the lease would have run out.
        await ExecuteAsync("UPDATE leases SET owner = NULL, counter = counter + 1, expires_ms = 0 WHERE owner IS NOT NULL; DELETE FROM runners", ct);
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

    public async Task<string?> LoadApplicationAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT document FROM applications WHERE name = $n";
        command.Parameters.AddWithValue("$n", name);
        return await command.ExecuteScalarAsync(ct) as string;
    }

    public async Task<bool> CreateApplicationAsync(string name, string document, CancellationToken ct) =>
        await ExecuteAsync("INSERT INTO applications (name, document) VALUES ($n, $d) ON CONFLICT(name) DO NOTHING", ct, ("$n", name), ("$d", document)) == 1;

    public async Task<bool> ReplaceApplicationAsync(string name, string expected, string document, CancellationToken ct) =>
        await ExecuteAsync("UPDATE applications SET document = $d WHERE name = $n AND document = $e", ct, ("$n", name), ("$d", document), ("$e", expected)) == 1;

    public Task DeleteApplicationAsync(string name, CancellationToken ct) =>
        ExecuteAsync("DELETE FROM applications WHERE name = $n; DELETE FROM checkpoints WHERE name = $n; DELETE FROM leases WHERE name = $n", ct, ("$n", name));

    public async Task<byte[]?> LoadCheckpointAsync(string name, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT state FROM checkpoints WHERE name = $n";
        command.Parameters.AddWithValue("$n", name);
        return await command.ExecuteScalarAsync(ct) as byte[];
    }

    public async Task<bool> SaveCheckpointAsync(string name, byte[] checkpoint, ApplicationLease lease, CancellationToken ct) => await ExecuteAsync("""
        INSERT INTO checkpoints (name, state) SELECT $n, $s WHERE EXISTS (SELECT 1 FROM leases WHERE name = $n AND owner = $o AND counter = $c)
        ON CONFLICT(name) DO UPDATE SET state = excluded.state
        """, ct, ("$n", name), ("$s", checkpoint), ("$o", lease.Owner), ("$c", lease.Counter)) == 1;

    public Task DeleteCheckpointAsync(string name, CancellationToken ct) => ExecuteAsync("DELETE FROM checkpoints WHERE name = $n", ct, ("$n", name));

    public Task<ApplicationLease?> TakeLeaseAsync(string name, string owner, long nowMs, long expiresMs, CancellationToken ct) => LeaseAsync($"""
        INSERT INTO leases (name, owner, counter, expires_ms) VALUES ($n, $o, 1, $x)
        ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, counter = leases.counter + 1, expires_ms = excluded.expires_ms
        WHERE leases.owner IS NULL OR leases.expires_ms <= $now OR leases.owner = excluded.owner
        RETURNING {LeaseColumns}
        """, ct, ("$n", name), ("$o", owner), ("$x", expiresMs), ("$now", nowMs));

    public Task<ApplicationLease?> RenewLeaseAsync(ApplicationLease lease, long expiresMs, CancellationToken ct) => LeaseAsync(
        $"UPDATE leases SET expires_ms = $x WHERE name = $n AND owner = $o AND counter = $c RETURNING {LeaseColumns}",
        ct, ("$n", lease.Name), ("$o", lease.Owner), ("$c", lease.Counter), ("$x", expiresMs));

    public Task ReleaseLeaseAsync(ApplicationLease lease, CancellationToken ct) => ExecuteAsync(
        "UPDATE leases SET owner = NULL, counter = counter + 1, expires_ms = 0 WHERE name = $n AND owner = $o AND counter = $c",
        ct, ("$n", lease.Name), ("$o", lease.Owner), ("$c", lease.Counter));

    public async Task<int> HeartbeatAsync(string owner, long nowMs, long expiresMs, CancellationToken ct)
    {
        await ExecuteAsync("""
            DELETE FROM runners WHERE expires_ms <= $now AND owner <> $o;
            INSERT INTO runners (owner, expires_ms) VALUES ($o, $x) ON CONFLICT(owner) DO UPDATE SET expires_ms = excluded.expires_ms;
            """, ct, ("$o", owner), ("$x", expiresMs), ("$now", nowMs));
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM runners WHERE expires_ms > $now";
        command.Parameters.AddWithValue("$now", nowMs);
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private async Task<ApplicationLease?> LeaseAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await _write.WaitAsync(ct);
        try
        {
            await using var connection = await OpenAsync(ct);
            await using var command = Command(connection, sql, parameters);
            await using var reader = await command.ExecuteReaderAsync(ct);
            return await reader.ReadAsync(ct) ? new ApplicationLease(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)) : null;
        }
        finally
        {
            _write.Release();
        }
    }

    /// <summary>Runs a write; returns the rows it changed.</summary>
    private async Task<int> ExecuteAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await _write.WaitAsync(ct);
        try
        {
            await using var connection = await OpenAsync(ct);
            await using var command = Command(connection, sql, parameters);
            return await command.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            _write.Release();
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (n, v) in parameters) command.Parameters.AddWithValue(n, v);
        return command;
    }
}
