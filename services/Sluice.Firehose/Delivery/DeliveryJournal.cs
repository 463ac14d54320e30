using Microsoft.Data.Sqlite;
using Npgsql;
using Sluice.Hosting;

namespace Sluice.Firehose.Delivery;

/// <summary>
/// A cut that is being delivered: the sequence range of one shard it holds and the objects it writes. Recorded before
/// the first PUT and retired after the checkpoint, so a replica that resumes the shard re-cuts exactly this range.
/// </summary>
public sealed record JournalEntry(string DeliveryStream, string ShardId, string VersionId, string FirstSequence, long FirstSubsequence, string LastSequence, long LastSubsequence, string Keys);

/// <summary>The delivery journal: at most one open cut per delivery stream and shard.</summary>
public interface IDeliveryJournal
{
    Task InitializeAsync(CancellationToken ct);

    Task<JournalEntry?> FindAsync(string deliveryStream, string shardId, CancellationToken ct);

    Task RecordAsync(JournalEntry entry, CancellationToken ct);

    Task RetireAsync(string deliveryStream, string shardId, CancellationToken ct);

    /// <summary>Forgets a deleted delivery stream's open cuts.</summary>
    Task ForgetAsync(string deliveryStream, CancellationToken ct);
}

/// <summary>Chooses the journal for the configured storage.</summary>
internal static class DeliveryJournals
{
    public static IDeliveryJournal Create(SluiceSettings settings) => settings.Storage == StorageKind.Postgres
        ? new PostgresDeliveryJournal(settings.Postgres ?? throw new InvalidOperationException("Postgres storage needs a connection string (--postgres)."))
        : new SqliteDeliveryJournal(settings.DataDir);
}

/// <summary>The journal in its own SQLite file under the data directory (<c>firehose-delivery.db</c>).</summary>
internal sealed class SqliteDeliveryJournal(string dataDir) : IDeliveryJournal
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder
    {
        DataSource = Path.Combine(dataDir, "firehose-delivery.db"),
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
    }.ToString();

    public async Task InitializeAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(dataDir);
        await ExecuteAsync("""
            PRAGMA journal_mode=WAL;
            CREATE TABLE IF NOT EXISTS delivery_journal (
              delivery_stream TEXT NOT NULL, shard_id TEXT NOT NULL, version_id TEXT NOT NULL,
              first_sequence TEXT NOT NULL, first_subsequence INTEGER NOT NULL,
              last_sequence TEXT NOT NULL, last_subsequence INTEGER NOT NULL, keys TEXT NOT NULL,
              PRIMARY KEY (delivery_stream, shard_id));
            """, _ => { }, ct);
    }

    public async Task<JournalEntry?> FindAsync(string deliveryStream, string shardId, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version_id, first_sequence, first_subsequence, last_sequence, last_subsequence, keys FROM delivery_journal WHERE delivery_stream = $s AND shard_id = $h";
        command.Parameters.AddWithValue("$s", deliveryStream);
        command.Parameters.AddWithValue("$h", shardId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new JournalEntry(deliveryStream, shardId, reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4), reader.GetString(5));
    }

    public Task RecordAsync(JournalEntry e, CancellationToken ct) => ExecuteAsync(
        """
        INSERT INTO delivery_journal VALUES ($s, $h, $v, $fs, $fu, $ls, $lu, $k)
        ON CONFLICT (delivery_stream, shard_id) DO UPDATE SET version_id = excluded.version_id, first_sequence = excluded.first_sequence,
          first_subsequence = excluded.first_subsequence, last_sequence = excluded.last_sequence, last_subsequence = excluded.last_subsequence, keys = excluded.keys
        """,
        p =>
        {
            p.AddWithValue("$s", e.DeliveryStream);
            p.AddWithValue("$h", e.ShardId);
            p.AddWithValue("$v", e.VersionId);
            p.AddWithValue("$fs", e.FirstSequence);
            p.AddWithValue("$fu", e.FirstSubsequence);
            p.AddWithValue("$ls", e.LastSequence);
            p.AddWithValue("$lu", e.LastSubsequence);
            p.AddWithValue("$k", e.Keys);
        }, ct);

    public Task RetireAsync(string deliveryStream, string shardId, CancellationToken ct) => ExecuteAsync(
        "DELETE FROM delivery_journal WHERE delivery_stream = $s AND shard_id = $h",
        p =>
        {
            p.AddWithValue("$s", deliveryStream);
            p.AddWithValue("$h", shardId);
        }, ct);

    public Task ForgetAsync(string deliveryStream, CancellationToken ct) =>
        ExecuteAsync("DELETE FROM delivery_journal WHERE delivery_stream = $s", p => p.AddWithValue("$s", deliveryStream), ct);

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private async Task ExecuteAsync(string sql, Action<SqliteParameterCollection> bind, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        bind(command.Parameters);
        await command.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>The journal in PostgreSQL (schema <c>sluice_firehose</c>, table <c>delivery_journal</c>), shared by every replica.</summary>
internal sealed class PostgresDeliveryJournal(string connectionString) : IDeliveryJournal
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);

    public async Task InitializeAsync(CancellationToken ct)
    {
        await ExecuteAsync("""
            CREATE SCHEMA IF NOT EXISTS sluice_firehose;
            CREATE TABLE IF NOT EXISTS sluice_firehose.delivery_journal (
              delivery_stream text NOT NULL, shard_id text NOT NULL, version_id text NOT NULL,
              first_sequence text NOT NULL, first_subsequence bigint NOT NULL,
              last_sequence text NOT NULL, last_subsequence bigint NOT NULL, keys text NOT NULL,
              PRIMARY KEY (delivery_stream, shard_id));
            """, _ => { }, ct);
    }

    public async Task<JournalEntry?> FindAsync(string deliveryStream, string shardId, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT version_id, first_sequence, first_subsequence, last_sequence, last_subsequence, keys FROM sluice_firehose.delivery_journal WHERE delivery_stream = $1 AND shard_id = $2");
        command.Parameters.AddWithValue(deliveryStream);
        command.Parameters.AddWithValue(shardId);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new JournalEntry(deliveryStream, shardId, reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), reader.GetInt64(4), reader.GetString(5));
    }

    public Task RecordAsync(JournalEntry e, CancellationToken ct) => ExecuteAsync(
        """
        INSERT INTO sluice_firehose.delivery_journal VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        ON CONFLICT (delivery_stream, shard_id) DO UPDATE SET version_id = excluded.version_id, first_sequence = excluded.first_sequence,
          first_subsequence = excluded.first_subsequence, last_sequence = excluded.last_sequence, last_subsequence = excluded.last_subsequence, keys = excluded.keys
        """,
        p =>
        {
            p.AddWithValue(e.DeliveryStream);
            p.AddWithValue(e.ShardId);
            p.AddWithValue(e.VersionId);
            p.AddWithValue(e.FirstSequence);
            p.AddWithValue(e.FirstSubsequence);
            p.AddWithValue(e.LastSequence);
            p.AddWithValue(e.LastSubsequence);
            p.AddWithValue(e.Keys);
        }, ct);

    public Task RetireAsync(string deliveryStream, string shardId, CancellationToken ct) => ExecuteAsync(
        "DELETE FROM sluice_firehose.delivery_journal WHERE delivery_stream = $1 AND shard_id = $2",
        p =>
        {
            p.AddWithValue(deliveryStream);
            p.AddWithValue(shardId);
        }, ct);

    public Task ForgetAsync(string deliveryStream, CancellationToken ct) =>
        ExecuteAsync("DELETE FROM sluice_firehose.delivery_journal WHERE delivery_stream = $1", p => p.AddWithValue(deliveryStream), ct);

    private async Task ExecuteAsync(string sql, Action<NpgsqlParameterCollection> bind, CancellationToken ct)
    {
        await using var command = _dataSource.CreateCommand(sql);
        bind(command.Parameters);
        await command.ExecuteNonQueryAsync(ct);
    }
}
