using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Hosting;

namespace Sluice.Alerts.Storage;

/// <summary>
/// The Alerts service's database: a SQLite file under the data dir (embedded) or schema <c>sluice_alerts</c> in
/// PostgreSQL (cluster). The SQL is shared; only the schema text differs. Writes are serialized in-process for SQLite.
/// </summary>
public sealed class AlertsDatabase : IAsyncDisposable
{
    public const string Schema = "sluice_alerts";

    private readonly string _connectionString;
    private readonly NpgsqlDataSource? _postgres;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public AlertsDatabase(SluiceSettings settings)
    {
        if (settings.Storage == StorageKind.Postgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(settings.Postgres) { SearchPath = Schema };
            _connectionString = builder.ConnectionString;
            _postgres = NpgsqlDataSource.Create(_connectionString);
        }
        else
        {
            Directory.CreateDirectory(settings.DataDir);
            _connectionString = new SqliteConnectionStringBuilder
            {
                DataSource = Path.Combine(settings.DataDir, "alerts.db"),
                Pooling = true,
                DefaultTimeout = 30,
            }.ConnectionString;
        }
    }

    public bool IsPostgres => _postgres is not null;

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var transaction = IsPostgres ? await connection.BeginTransactionAsync(ct) : null;
        if (IsPostgres)
        {
            // Replicas starting together would race on CREATE ... IF NOT EXISTS (duplicate pg_class rows): one at a time.
            await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext('sluice_alerts.schema'))", ct);
            await ExecuteAsync(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS {Schema}", ct);
        }
        else
        {
            await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL", ct);
        }

        var id = IsPostgres ? "id BIGSERIAL PRIMARY KEY" : "id INTEGER PRIMARY KEY AUTOINCREMENT";
        string[] tables =
        [
            "CREATE TABLE IF NOT EXISTS rules (name TEXT PRIMARY KEY, definition TEXT NOT NULL, source TEXT NOT NULL, updated_at BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS limits (table_name TEXT NOT NULL, key TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, PRIMARY KEY (table_name, key))",
            "CREATE TABLE IF NOT EXISTS applied (stream TEXT NOT NULL, shard TEXT NOT NULL, sequence TEXT NOT NULL, PRIMARY KEY (stream, shard))",
            "CREATE TABLE IF NOT EXISTS totals (rule TEXT NOT NULL, key TEXT NOT NULL, period TEXT NOT NULL, total DOUBLE PRECISION NOT NULL, PRIMARY KEY (rule, key, period))",
            "CREATE TABLE IF NOT EXISTS window_counts (rule TEXT NOT NULL, key TEXT NOT NULL, window_start BIGINT NOT NULL, total DOUBLE PRECISION NOT NULL, PRIMARY KEY (rule, key, window_start))",
            "CREATE TABLE IF NOT EXISTS rule_windows (rule TEXT PRIMARY KEY, last_window_end BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS alerts (fingerprint TEXT PRIMARY KEY, rule TEXT NOT NULL, group_key TEXT NOT NULL, labels TEXT NOT NULL, annotations TEXT NOT NULL, state TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, starts_at BIGINT NOT NULL, ends_at BIGINT, expires_at BIGINT, updated_at BIGINT NOT NULL, notified_state TEXT, ack_by TEXT, ack_at BIGINT, ack_comment TEXT)",
            "CREATE INDEX IF NOT EXISTS alerts_group ON alerts (group_key)",
            $"CREATE TABLE IF NOT EXISTS alert_history ({id}, fingerprint TEXT NOT NULL, at BIGINT NOT NULL, event TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, detail TEXT)",
            "CREATE INDEX IF NOT EXISTS alert_history_fingerprint ON alert_history (fingerprint)",
            "CREATE TABLE IF NOT EXISTS alert_groups (group_key TEXT PRIMARY KEY, rule TEXT NOT NULL, labels TEXT NOT NULL, next_flush_at BIGINT, last_sent_at BIGINT, repeat_at BIGINT, seq BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, matchers TEXT NOT NULL, starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL, created_by TEXT NOT NULL, comment TEXT NOT NULL, created_at BIGINT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS outbox (key TEXT PRIMARY KEY, group_key TEXT NOT NULL, rule TEXT NOT NULL, notifier TEXT NOT NULL, config TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at BIGINT NOT NULL, last_error TEXT, created_at BIGINT NOT NULL, sent_at BIGINT)",
            "CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (state, next_attempt_at)",
            "CREATE TABLE IF NOT EXISTS leader (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at BIGINT NOT NULL)",
        ];
        foreach (var sql in tables)
        {
            // On PostgreSQL an existing object is skipped before its DDL runs: CREATE INDEX IF NOT EXISTS still takes a
            // lock on its table, which a replica starting next to busy ones would hold until this transaction ends.
            if (transaction is not null && await ExistsAsync(connection, transaction, sql, ct)) continue;
            await ExecuteAsync(connection, transaction, sql, ct);
        }

        if (transaction is not null) await transaction.CommitAsync(ct);
    }

    private static async Task<bool> ExistsAsync(DbConnection connection, DbTransaction transaction, string ddl, CancellationToken ct)
    {
        var name = System.Text.RegularExpressions.Regex.Match(ddl, @"IF NOT EXISTS (\w+)").Groups[1].Value;
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT to_regclass('{Schema}.{name}') IS NOT NULL";
        return await command.ExecuteScalarAsync(ct) is true;
    }

    public async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(ct);
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> in one transaction (serialized in-process on SQLite) and commits it.</summary>
    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
    {
        var locked = !IsPostgres;
        if (locked) await _writeLock.WaitAsync(ct);
        try
        {
            await using var connection = await OpenAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var result = await work(connection, transaction);
            await transaction.CommitAsync(ct);
            return result;
        }
        finally
        {
            if (locked) _writeLock.Release();
        }
    }

    public Task WriteAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken ct) =>
        WriteAsync(async (c, t) =>
        {
            await work(c, t);
            return true;
        }, ct);

    public static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;

            // An untyped NULL leaves PostgreSQL unable to infer "@p IS NULL"; text is what optional filters compare.
            if (value is null) p.DbType = System.Data.DbType.String;
            command.Parameters.Add(p);
        }

        return command;
    }

    public static async Task<int> ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct);
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
        _writeLock.Dispose();
    }
}
