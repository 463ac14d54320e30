using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Sluice.Streams.Storage;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with synchronous=FULL, so a committed append survives a crash.
/// One connection writes (the group committer's); reads use pooled connections alongside it. Records are stored in
/// chunks (<see cref="RecordChunks"/>), one row per shard per append.
/// </summary>
public sealed class SqliteStreamStore : IStreamStore
{
    // PRAGMA user_version: 0 = a new file or one with a row per record; 2 = records in chunks.
    private const int SchemaVersion = 2;

    // Indexes are contiguous per shard and arrival times non-decreasing in index order, so the records a read wants lie
    // in [start, start + limit), start being past both the requested index and the records that arrived too early.
    private const string ReadSql = """
        WITH bounds AS (
            SELECT max($i, COALESCE((SELECT first_index FROM record_chunks WHERE stream_id = $s AND shard = $h AND arrival_ms >= $a ORDER BY first_index LIMIT 1), $i)) AS start)
        SELECT c.first_index, c.arrival_ms, c.payload FROM record_chunks c, bounds b
        WHERE c.stream_id = $s AND c.shard = $h AND c.arrival_ms >= $a
          AND c.first_index >= COALESCE((SELECT max(first_index) FROM record_chunks WHERE stream_id = $s AND shard = $h AND first_index <= b.start), 0)
          AND c.first_index < b.start + $l
        ORDER BY c.first_index
        """;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Dictionary<(long Stream, int Shard), ShardSequence> _sequences = [];
    private SqliteConnection? _writer;
    private SqliteCommand? _insertChunk;
    private SqliteCommand? _updateSequence;

    public SqliteStreamStore(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDir, "streams.db"),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public async Task InitializeAsync(CancellationToken ct)
    {
        _writer = new SqliteConnection(_connectionString);
        await _writer.OpenAsync(ct);
        await ExecuteAsync(_writer, """
            PRAGMA journal_mode=WAL;
            PRAGMA synchronous=FULL;
            PRAGMA busy_timeout=30000;
            CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value BLOB NOT NULL);
            CREATE TABLE IF NOT EXISTS stream_ids(id INTEGER PRIMARY KEY AUTOINCREMENT);
            CREATE TABLE IF NOT EXISTS streams(id INTEGER PRIMARY KEY, name TEXT NOT NULL, document TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS shard_sequences(stream_id INTEGER NOT NULL, shard INTEGER NOT NULL, next_index INTEGER NOT NULL, closed INTEGER NOT NULL, PRIMARY KEY(stream_id, shard)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS record_chunks(stream_id INTEGER NOT NULL, shard INTEGER NOT NULL, first_index INTEGER NOT NULL, arrival_ms INTEGER NOT NULL, record_count INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY(stream_id, shard, first_index));
            """, ct);
        await MigrateAsync(_writer, ct);

        await using (var cmd = _writer.CreateCommand())
        {
            cmd.CommandText = "SELECT stream_id, shard, next_index, closed FROM shard_sequences";
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                _sequences[(reader.GetInt64(0), reader.GetInt32(1))] = new ShardSequence { Next = reader.GetInt64(2), Closed = reader.GetInt64(3) != 0 };
            }
        }

        _insertChunk = Prepare(_writer, "INSERT INTO record_chunks(stream_id, shard, first_index, arrival_ms, record_count, payload) VALUES ($s, $h, $i, $a, $n, $p)", "$s", "$h", "$i", "$a", "$n", "$p");
        _updateSequence = Prepare(_writer, "UPDATE shard_sequences SET next_index = $n WHERE stream_id = $s AND shard = $h", "$n", "$s", "$h");
    }

    public async Task<byte[]> GetSecretAsync(CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            await using var select = Writer.CreateCommand();
            select.CommandText = "SELECT value FROM settings WHERE key = 'secret'";
            if (await select.ExecuteScalarAsync(ct) is byte[] existing) return existing;
            var secret = RandomNumberGenerator.GetBytes(32);
            await using var insert = Writer.CreateCommand();
            insert.CommandText = "INSERT INTO settings(key, value) VALUES ('secret', $v)";
            insert.Parameters.AddWithValue("$v", secret);
            await insert.ExecuteNonQueryAsync(ct);
            return secret;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<IReadOnlyList<string>> LoadStreamsAsync(CancellationToken ct)
    {
        await using var connection = await OpenReaderAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT document FROM streams ORDER BY id";
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var documents = new List<string>();
        while (await reader.ReadAsync(ct)) documents.Add(reader.GetString(0));
        return documents;
    }

    public Task<long> AllocateStreamIdAsync(CancellationToken ct) => WriteAsync(async w =>
    {
        await using var cmd = w.CreateCommand();
        cmd.CommandText = "INSERT INTO stream_ids DEFAULT VALUES; SELECT last_insert_rowid();";
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }, ct);

    public Task SaveStreamAsync(long streamId, string name, string document, CancellationToken ct) => WriteAsync(async w =>
    {
        await using var cmd = w.CreateCommand();
        cmd.CommandText = "INSERT INTO streams(id, name, document) VALUES ($id, $n, $d) ON CONFLICT(id) DO UPDATE SET name = excluded.name, document = excluded.document";
        cmd.Parameters.AddWithValue("$id", streamId);
        cmd.Parameters.AddWithValue("$n", name);
        cmd.Parameters.AddWithValue("$d", document);
        await cmd.ExecuteNonQueryAsync(ct);
        return true;
    }, ct);

    public Task DeleteStreamAsync(long streamId, CancellationToken ct) => WriteAsync(async w =>
    {
        await using var tx = (SqliteTransaction)await w.BeginTransactionAsync(ct);
        await using var cmd = w.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            DELETE FROM record_chunks WHERE stream_id = $s;
            DELETE FROM shard_sequences WHERE stream_id = $s;
            DELETE FROM streams WHERE id = $s;
            """;
        cmd.Parameters.AddWithValue("$s", streamId);
        await cmd.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
        foreach (var key in _sequences.Keys.Where(k => k.Stream == streamId).ToList()) _sequences.Remove(key);
        return true;
    }, ct);

    public Task AddShardAsync(long streamId, int shardIndex, CancellationToken ct) => WriteAsync(async w =>
    {
        if (_sequences.ContainsKey((streamId, shardIndex))) return true;
        await using var cmd = w.CreateCommand();
        cmd.CommandText = "INSERT OR IGNORE INTO shard_sequences(stream_id, shard, next_index, closed) VALUES ($s, $h, 0, 0)";
        cmd.Parameters.AddWithValue("$s", streamId);
        cmd.Parameters.AddWithValue("$h", shardIndex);
        await cmd.ExecuteNonQueryAsync(ct);
        _sequences[(streamId, shardIndex)] = new ShardSequence();
        return true;
    }, ct);

    public Task<long> CloseShardAsync(long streamId, int shardIndex, CancellationToken ct) => WriteAsync(async w =>
    {
        var sequence = _sequences.GetValueOrDefault((streamId, shardIndex)) ?? throw new InvalidOperationException($"No shard {shardIndex} in stream {streamId}.");
        if (sequence.Closed) return sequence.Next;
        await using var cmd = w.CreateCommand();
        cmd.CommandText = "UPDATE shard_sequences SET closed = 1 WHERE stream_id = $s AND shard = $h";
        cmd.Parameters.AddWithValue("$s", streamId);
        cmd.Parameters.AddWithValue("$h", shardIndex);
        await cmd.ExecuteNonQueryAsync(ct);
        sequence.Closed = true;
        return sequence.Next;
    }, ct);

    public Task<bool> AppendAsync(AppendBatch batch, CancellationToken ct) => WriteAsync(async w =>
    {
        foreach (var shard in batch.Shards)
        {
            if (!_sequences.TryGetValue((shard.StreamId, shard.ShardIndex), out var sequence) || sequence.Closed) return false;
            shard.FirstIndex = sequence.Next;
        }

        using var tx = w.BeginTransaction();
        _insertChunk!.Transaction = tx;
        _updateSequence!.Transaction = tx;
        var p = _insertChunk.Parameters;
        p[3].Value = batch.ArrivalMs;
        foreach (var shard in batch.Shards)
        {
            if (shard.Records.Count == 0) continue;
            p[0].Value = shard.StreamId;
            p[1].Value = shard.ShardIndex;
            p[2].Value = shard.FirstIndex;
            p[4].Value = shard.Records.Count;
            p[5].Value = RecordChunks.Pack(shard.Records);
            _insertChunk.ExecuteNonQuery();
            var u = _updateSequence.Parameters;
            u[0].Value = shard.FirstIndex + shard.Records.Count;
            u[1].Value = shard.StreamId;
            u[2].Value = shard.ShardIndex;
            _updateSequence.ExecuteNonQuery();
        }

        tx.Commit();
        foreach (var shard in batch.Shards) _sequences[(shard.StreamId, shard.ShardIndex)].Next = shard.FirstIndex + shard.Records.Count;
        return true;
    }, ct);

    public async Task<long> NextRecordIndexAsync(long streamId, int shardIndex, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            return _sequences.TryGetValue((streamId, shardIndex), out var s) ? s.Next : 0;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    public async Task<IReadOnlyList<StoredRecord>> ReadAsync(long streamId, int shardIndex, long fromIndex, long minArrivalMs, int limit, int maxBytes, CancellationToken ct)
    {
        var records = new List<StoredRecord>();
        if (limit <= 0) return records;
        await using var connection = await OpenReaderAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = ReadSql;
        cmd.Parameters.AddWithValue("$s", streamId);
        cmd.Parameters.AddWithValue("$h", shardIndex);
        cmd.Parameters.AddWithValue("$i", Math.Min(fromIndex, long.MaxValue - limit - 1));
        cmd.Parameters.AddWithValue("$a", minArrivalMs);
        cmd.Parameters.AddWithValue("$l", limit);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var bytes = 0;
        while (await reader.ReadAsync(ct))
        {
            var payload = (byte[])reader.GetValue(2);
            if (!RecordChunks.Unpack(payload, reader.GetInt64(0), reader.GetInt64(1), fromIndex, limit, maxBytes, ref bytes, records)) break;
        }

        return records;
    }

    public async Task<long?> FirstIndexAtOrAfterAsync(long streamId, int shardIndex, long arrivalMs, CancellationToken ct)
    {
        await using var connection = await OpenReaderAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT first_index FROM record_chunks WHERE stream_id = $s AND shard = $h AND arrival_ms >= $a ORDER BY first_index LIMIT 1";
        cmd.Parameters.AddWithValue("$s", streamId);
        cmd.Parameters.AddWithValue("$h", shardIndex);
        cmd.Parameters.AddWithValue("$a", arrivalMs);
        return await cmd.ExecuteScalarAsync(ct) is long index ? index : null;
    }

    public Task TrimAsync(long streamId, int shardIndex, long beforeArrivalMs, CancellationToken ct) => WriteAsync(async w =>
    {
        await using var find = w.CreateCommand();
        find.CommandText = "SELECT first_index FROM record_chunks WHERE stream_id = $s AND shard = $h AND arrival_ms >= $a ORDER BY first_index LIMIT 1";
        find.Parameters.AddWithValue("$s", streamId);
        find.Parameters.AddWithValue("$h", shardIndex);
        find.Parameters.AddWithValue("$a", beforeArrivalMs);
        var cut = await find.ExecuteScalarAsync(ct) is long index ? index : _sequences.GetValueOrDefault((streamId, shardIndex))?.Next ?? 0;
        await using var delete = w.CreateCommand();
        delete.CommandText = """
            DELETE FROM record_chunks WHERE stream_id = $s AND shard = $h AND first_index < $c;
            """;
        delete.Parameters.AddWithValue("$s", streamId);
        delete.Parameters.AddWithValue("$h", shardIndex);
        delete.Parameters.AddWithValue("$c", cut);
        await delete.ExecuteNonQueryAsync(ct);
        return true;
    }, ct);

    public async ValueTask DisposeAsync()
    {
        await _writeGate.WaitAsync();
        try
        {
            _insertChunk?.Dispose();
            _updateSequence?.Dispose();
            if (_writer is not null) await _writer.DisposeAsync();
            _writer = null;
            SqliteConnection.ClearAllPools();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private SqliteConnection Writer => _writer ?? throw new InvalidOperationException("The store is not initialized.");

    private async Task<T> WriteAsync<T>(Func<SqliteConnection, Task<T>> work, CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            return await work(Writer);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    /// <summary>Moves a file written with a row per record into chunks of one record each, once.</summary>
    private static async Task MigrateAsync(SqliteConnection connection, CancellationToken ct)
    {
        await using (var version = connection.CreateCommand())
        {
            version.CommandText = "PRAGMA user_version";
            if ((long)(await version.ExecuteScalarAsync(ct))! >= SchemaVersion) return;
        }

        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using (var exists = connection.CreateCommand())
        {
            exists.Transaction = tx;
            exists.CommandText = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'records'";
            if ((long)(await exists.ExecuteScalarAsync(ct))! > 0)
            {
                await using var insert = connection.CreateCommand();
                insert.Transaction = tx;
                insert.CommandText = "INSERT INTO record_chunks(stream_id, shard, first_index, arrival_ms, record_count, payload) VALUES ($s, $h, $i, $a, 1, $p)";
                var one = new List<(string, byte[])>(1);
                await using var select = connection.CreateCommand();
                select.Transaction = tx;
                select.CommandText = "SELECT stream_id, shard, idx, arrival_ms, partition_key, data FROM records ORDER BY stream_id, shard, idx";
                await using (var reader = await select.ExecuteReaderAsync(ct))
                {
                    while (await reader.ReadAsync(ct))
                    {
                        one.Clear();
                        one.Add((reader.GetString(4), (byte[])reader.GetValue(5)));
                        insert.Parameters.Clear();
                        insert.Parameters.AddWithValue("$s", reader.GetInt64(0));
                        insert.Parameters.AddWithValue("$h", reader.GetInt64(1));
                        insert.Parameters.AddWithValue("$i", reader.GetInt64(2));
                        insert.Parameters.AddWithValue("$a", reader.GetInt64(3));
                        insert.Parameters.AddWithValue("$p", RecordChunks.Pack(one));
                        await insert.ExecuteNonQueryAsync(ct);
                    }
                }
            }
        }

        await using (var finish = connection.CreateCommand())
        {
            finish.Transaction = tx;
            finish.CommandText = $"DROP TABLE IF EXISTS records; DROP TABLE IF EXISTS record_batches; PRAGMA user_version = {SchemaVersion};";
            await finish.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] names)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        foreach (var name in names) cmd.Parameters.Add(new SqliteParameter { ParameterName = name });
        cmd.Prepare();
        return cmd;
    }

    private sealed class ShardSequence
    {
        public long Next { get; set; }

        public bool Closed { get; set; }
    }
}
