using Npgsql;

namespace Sluice.Analytics.Storage;

/// <summary>Applications, checkpoints and leases in the PostgreSQL schema <c>sluice_analytics</c>, shared by every Analytics replica.</summary>
public sealed class PostgresAnalyticsStore(string connectionString) : IAnalyticsStore, IDisposable
{
    private const string LeaseColumns = "name, owner, counter, expires_ms";

    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var connection = await _source.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // Replicas starting together create the schema and tables once (a concurrent CREATE ... IF NOT EXISTS can fail).
        await using var command = new NpgsqlCommand("""
            SELECT pg_advisory_xact_lock(hashtext('sluice_analytics.schema'));
            CREATE SCHEMA IF NOT EXISTS sluice_analytics;
            CREATE TABLE IF NOT EXISTS sluice_analytics.applications (name TEXT PRIMARY KEY, document TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS sluice_analytics.checkpoints (name TEXT PRIMARY KEY, state BYTEA NOT NULL);
            CREATE TABLE IF NOT EXISTS sluice_analytics.leases (name TEXT PRIMARY KEY, owner TEXT, counter BIGINT NOT NULL, expires_ms BIGINT NOT NULL);
            CREATE TABLE IF NOT EXISTS sluice_analytics.runners (owner TEXT PRIMARY KEY, expires_ms BIGINT NOT NULL);
            """, connection, tx);
        await command.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<(string Name, string Document)>> LoadApplicationsAsync(CancellationToken ct)
    {
        await using var command = _source.CreateCommand("SELECT name, document FROM sluice_analytics.applications ORDER BY name");
        await using var reader = await command.ExecuteReaderAsync(ct);
        var list = new List<(string, string)>();
        while (await reader.ReadAsync(ct)) list.Add((reader.GetString(0), reader.GetString(1)));
        return list;
    }

    public async Task<string?> LoadApplicationAsync(string name, CancellationToken ct)
    {
        await using var command = _source.CreateCommand("SELECT document FROM sluice_analytics.applications WHERE name = $1");
        command.Parameters.AddWithValue(name);
        return await command.ExecuteScalarAsync(ct) as string;
    }

    public async Task<bool> CreateApplicationAsync(string name, string document, CancellationToken ct) => await ExecuteAsync(
        "INSERT INTO sluice_analytics.applications (name, document) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", ct, name, document) == 1;

    public async Task<bool> ReplaceApplicationAsync(string name, string expected, string document, CancellationToken ct) => await ExecuteAsync(
        "UPDATE sluice_analytics.applications SET document = $2 WHERE name = $1 AND document = $3", ct, name, document, expected) == 1;

    public async Task DeleteApplicationAsync(string name, CancellationToken ct)
    {
        await ExecuteAsync("DELETE FROM sluice_analytics.applications WHERE name = $1", ct, name);
        await DeleteCheckpointAsync(name, ct);
        await ExecuteAsync("DELETE FROM sluice_analytics.leases WHERE name = $1", ct, name);
    }

    public async Task<byte[]?> LoadCheckpointAsync(string name, CancellationToken ct)
    {
        await using var command = _source.CreateCommand("SELECT state FROM sluice_analytics.checkpoints WHERE name = $1");
        command.Parameters.AddWithValue(name);
        return await command.ExecuteScalarAsync(ct) as byte[];
    }

    // FOR SHARE holds the lease row until the write commits: a takeover (an UPDATE of that row) waits for it and then
    // reads this checkpoint, and a save that comes after the takeover finds no row at its counter and writes nothing.
    public async Task<bool> SaveCheckpointAsync(string name, byte[] checkpoint, ApplicationLease lease, CancellationToken ct) => await ExecuteAsync("""
        WITH held AS (SELECT name FROM sluice_analytics.leases WHERE name = $1 AND owner = $3 AND counter = $4 FOR SHARE)
        INSERT INTO sluice_analytics.checkpoints (name, state) SELECT name, $2 FROM held
        ON CONFLICT (name) DO UPDATE SET state = excluded.state
        """, ct, name, checkpoint, lease.Owner, lease.Counter) == 1;

    public Task DeleteCheckpointAsync(string name, CancellationToken ct) => ExecuteAsync("DELETE FROM sluice_analytics.checkpoints WHERE name = $1", ct, name);

    public Task<ApplicationLease?> TakeLeaseAsync(string name, string owner, long nowMs, long expiresMs, CancellationToken ct) => LeaseAsync($"""
        INSERT INTO sluice_analytics.leases AS l (name, owner, counter, expires_ms) VALUES ($1, $2, 1, $3)
        ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, counter = l.counter + 1, expires_ms = excluded.expires_ms
        WHERE l.owner IS NULL OR l.expires_ms <= $4 OR l.owner = excluded.owner
        RETURNING {LeaseColumns}
        """, ct, name, owner, expiresMs, nowMs);

    public Task<ApplicationLease?> RenewLeaseAsync(ApplicationLease lease, long expiresMs, CancellationToken ct) => LeaseAsync(
        $"UPDATE sluice_analytics.leases SET expires_ms = $4 WHERE name = $1 AND owner = $2 AND counter = $3 RETURNING {LeaseColumns}",
        ct, lease.Name, lease.Owner, lease.Counter, expiresMs);

    public Task ReleaseLeaseAsync(ApplicationLease lease, CancellationToken ct) => ExecuteAsync(
        "UPDATE sluice_analytics.leases SET owner = NULL, counter = counter + 1, expires_ms = 0 WHERE name = $1 AND owner = $2 AND counter = $3",
        ct, lease.Name, lease.Owner, lease.Counter);

    public async Task<int> HeartbeatAsync(string owner, long nowMs, long expiresMs, CancellationToken ct)
    {
        await ExecuteAsync("DELETE FROM sluice_analytics.runners WHERE expires_ms <= $2 AND owner <> $1", ct, owner, nowMs);
        await ExecuteAsync(
            "INSERT INTO sluice_analytics.runners (owner, expires_ms) VALUES ($1, $2) ON CONFLICT (owner) DO UPDATE SET expires_ms = excluded.expires_ms",
            ct, owner, expiresMs);
        await using var command = _source.CreateCommand("SELECT count(*) FROM sluice_analytics.runners WHERE expires_ms > $1");
        command.Parameters.AddWithValue(nowMs);
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() => _source.Dispose();

    private async Task<ApplicationLease?> LeaseAsync(string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = _source.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.AddWithValue(p);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new ApplicationLease(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)) : null;
    }

    /// <summary>Runs a write; returns the rows it changed.</summary>
    private async Task<int> ExecuteAsync(string sql, CancellationToken ct, params object[] parameters)
    {
        await using var command = _source.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.AddWithValue(p);
        return await command.ExecuteNonQueryAsync(ct);
    }
}
