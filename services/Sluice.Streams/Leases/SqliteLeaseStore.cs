using Microsoft.Data.Sqlite;

namespace Sluice.Streams.Leases;

/// <summary>
/// Leases in the embedded database file (streams.db, beside the stream store's tables) on a connection of their own;
/// WAL and a busy timeout let it write between the record log's commits.
/// </summary>
public sealed class SqliteLeaseStore : ILeaseStore
{
    private const string Columns = "shard_id, owner, counter, expires_ms, checkpoint, checkpoint_sub, parents";
    private const string Key = "stream_id = $s AND consumer_group = $g AND shard_id = $h";
    private readonly string _connectionString;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SqliteConnection? _connection;

    public SqliteLeaseStore(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDir, "streams.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = 30,
        }.ToString();
    }

    public async Task InitializeAsync(CancellationToken ct)
    {
        _connection = new SqliteConnection(_connectionString);
        await _connection.OpenAsync(ct);
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            PRAGMA busy_timeout=30000;
            CREATE TABLE IF NOT EXISTS leases(
                stream_id INTEGER NOT NULL, consumer_group TEXT NOT NULL, shard_id TEXT NOT NULL,
                owner TEXT, counter INTEGER NOT NULL DEFAULT 0, expires_ms INTEGER NOT NULL DEFAULT 0,
                checkpoint TEXT, checkpoint_sub INTEGER NOT NULL DEFAULT 0, parents TEXT NOT NULL DEFAULT '',
                PRIMARY KEY(stream_id, consumer_group, shard_id)) WITHOUT ROWID;
            """;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public Task AddShardsAsync(long streamId, string group, IReadOnlyList<LeaseShard> shards, CancellationToken ct) => RunAsync(async c =>
    {
        await using var tx = (SqliteTransaction)await c.BeginTransactionAsync(ct);
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO leases(stream_id, consumer_group, shard_id, parents) VALUES ($s, $g, $h, $p) ON CONFLICT DO NOTHING";
        var s = cmd.Parameters.AddWithValue("$s", streamId);
        cmd.Parameters.AddWithValue("$g", group);
        var h = cmd.Parameters.Add("$h", SqliteType.Text);
        var p = cmd.Parameters.Add("$p", SqliteType.Text);
        foreach (var shard in shards)
        {
            h.Value = shard.ShardId;
            p.Value = LeaseRecord.JoinParents(shard);
            await cmd.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return true;
    }, ct);

    public Task<IReadOnlyList<LeaseRecord>> ListAsync(long streamId, string group, CancellationToken ct) => RunAsync<IReadOnlyList<LeaseRecord>>(async c =>
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {Columns} FROM leases WHERE stream_id = $s AND consumer_group = $g ORDER BY shard_id";
        cmd.Parameters.AddWithValue("$s", streamId);
        cmd.Parameters.AddWithValue("$g", group);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var leases = new List<LeaseRecord>();
        while (await reader.ReadAsync(ct)) leases.Add(Read(reader));
        return leases;
    }, ct);

    public Task<LeaseRecord?> TakeAsync(long streamId, string group, string shardId, long seenCounter, string worker, long nowMs, long expiresMs, bool steal, CancellationToken ct) =>
        UpdateAsync(
            $"UPDATE leases SET owner = $w, counter = counter + 1, expires_ms = $e WHERE {Key} AND counter = $c AND checkpoint IS NOT 'SHARD_END' AND ($steal OR owner IS NULL OR expires_ms <= $now) RETURNING {Columns}",
            streamId, group, shardId, cmd =>
            {
                cmd.Parameters.AddWithValue("$w", worker);
                cmd.Parameters.AddWithValue("$e", expiresMs);
                cmd.Parameters.AddWithValue("$c", seenCounter);
                cmd.Parameters.AddWithValue("$steal", steal ? 1 : 0);
                cmd.Parameters.AddWithValue("$now", nowMs);
            },
            ct);

    public Task<LeaseRecord?> RenewAsync(long streamId, string group, string shardId, string worker, long counter, long expiresMs, CancellationToken ct) =>
        UpdateAsync(
            $"UPDATE leases SET expires_ms = $e WHERE {Key} AND owner = $w AND counter = $c RETURNING {Columns}",
            streamId, group, shardId, cmd =>
            {
                cmd.Parameters.AddWithValue("$w", worker);
                cmd.Parameters.AddWithValue("$e", expiresMs);
                cmd.Parameters.AddWithValue("$c", counter);
            },
            ct);

    public Task<LeaseRecord?> CheckpointAsync(long streamId, string group, string shardId, string worker, long counter, LeaseCheckpoint checkpoint, CancellationToken ct) =>
        UpdateAsync(
            checkpoint.ShardEnd
                ? $"UPDATE leases SET checkpoint = $cp, checkpoint_sub = 0, owner = NULL, counter = counter + 1, expires_ms = 0 WHERE {Key} AND owner = $w AND counter = $c RETURNING {Columns}"
                : $"UPDATE leases SET checkpoint = $cp, checkpoint_sub = $sub WHERE {Key} AND owner = $w AND counter = $c RETURNING {Columns}",
            streamId, group, shardId, cmd =>
            {
                cmd.Parameters.AddWithValue("$w", worker);
                cmd.Parameters.AddWithValue("$c", counter);
                cmd.Parameters.AddWithValue("$cp", checkpoint.Column);
                cmd.Parameters.AddWithValue("$sub", checkpoint.SubSequenceNumber);
            },
            ct);

    public async Task<bool> ReleaseAsync(long streamId, string group, string shardId, string worker, long counter, CancellationToken ct) =>
        await UpdateAsync(
            $"UPDATE leases SET owner = NULL, counter = counter + 1, expires_ms = 0 WHERE {Key} AND owner = $w AND counter = $c RETURNING {Columns}",
            streamId, group, shardId, cmd =>
            {
                cmd.Parameters.AddWithValue("$w", worker);
                cmd.Parameters.AddWithValue("$c", counter);
            },
            ct) is not null;

    private Task<LeaseRecord?> UpdateAsync(string sql, long streamId, string group, string shardId, Action<SqliteCommand> bind, CancellationToken ct) => RunAsync(async c =>
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddWithValue("$s", streamId);
        cmd.Parameters.AddWithValue("$g", group);
        cmd.Parameters.AddWithValue("$h", shardId);
        bind(cmd);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }, ct);

    private static LeaseRecord Read(SqliteDataReader r) => new(
        r.GetString(0),
        r.IsDBNull(1) ? null : r.GetString(1),
        r.GetInt64(2),
        r.GetInt64(3),
        LeaseCheckpoint.FromColumns(r.IsDBNull(4) ? null : r.GetString(4), r.GetInt64(5)),
        LeaseRecord.SplitParents(r.GetString(6)));

    private async Task<T> RunAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken ct)
    {
        var connection = _connection ?? throw new InvalidOperationException("The lease store is not initialized.");
        await _gate.WaitAsync(ct);
        try
        {
            return await work(connection);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync();
        _gate.Dispose();
    }
}
