using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

namespace Sluice.Streams.Storage;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with synchronous=FULL, so a committed append survives a crash.
/// One connection writes (the group committer's); reads use pooled connections alongside it.
/// </summary>
public sealed class SqliteStreamStore : IStreamStore
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly Dictionary<(long Stream, int Shard), ShardSequence> _sequences = [];
    private SqliteConnection? _writer;
    private SqliteCommand? _insertRecord;
    private SqliteCommand? _insertBatch;
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
            CREATE TABLE IF NOT EXISTS records(stream_id INTEGER NOT NULL, shard INTEGER NOT NULL, idx INTEGER NOT NULL, arrival_ms INTEGER NOT NULL, partition_key TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY(stream_id, shard, idx)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS record_batches(stream_id INTEGER NOT NULL, shard INTEGER NOT NULL, first_index INTEGER NOT NULL, arrival_ms INTEGER NOT NULL, PRIMARY KEY(stream_id, shard, first_index)) WITHOUT ROWID;
            """, ct);

        await using (var cmd = _writer.CreateCommand())
        {
            cmd.CommandText = "SELECT stream_id, shard, next_index, closed FROM shard_sequences";
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                _sequences[(reader.GetInt64(0), reader.GetInt32(1))] = new ShardSequence { Next = reader.GetInt64(2), Closed = reader.GetInt64(3) != 0 };
            }
        }

        _insertRecord = Prepare(_writer, "INSERT INTO records(stream_id, shard, idx, arrival_ms, partition_key, data) VALUES ($s, $h, $i, $a, $k, $d)", "$s", "$h", "$i", "$a", "$k", "$d");
        _insertBatch = Prepare(_writer, "INSERT OR REPLACE INTO record_batches(stream_id, shard, first_index, arrival_ms) VALUES ($s, $h, $i, $a)", "$s", "$h", "$i", "$a");
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
            DELETE FROM records WHERE stream_id = $s;
            DELETE FROM record_batches WHERE stream_id = $s;
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
        _insertRecord!.Transaction = tx;
        _insertBatch!.Transaction = tx;
        _updateSequence!.Transaction = tx;
        var p = _insertRecord.Parameters;
        p[3].Value = batch.ArrivalMs;
        foreach (var shard in batch.Shards)
        {
            p[0].Value = shard.StreamId;
            p[1].Value = shard.ShardIndex;
            var index = shard.FirstIndex;
            foreach (var (key, data) in shard.Records)
            {
                p[2].Value = index++;
                p[4].Value = key;
                p[5].Value = data;
                _insertRecord.ExecuteNonQuery();
            }

            var b = _insertBatch.Parameters;
            b[0].Value = shard.StreamId;
            b[1].Value = shard.ShardIndex;
            b[2].Value = shard.FirstIndex;
            b[3].Value = batch.ArrivalMs;
            _insertBatch.ExecuteNonQuery();
            var u = _updateSequence.Parameters;
            u[0].Value = index;
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
        await using var connection = await OpenReaderAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT idx, arrival_ms, partition_key, data FROM records WHERE stream_id = $s AND shard = $h AND idx >= $i AND arrival_ms >= $a ORDER BY idx LIMIT $l";
        cmd.Parameters.AddWithValue("$s", streamId);
        cmd.Parameters.AddWithValue("$h", shardIndex);
        cmd.Parameters.AddWithValue("$i", fromIndex);
        cmd.Parameters.AddWithValue("$a", minArrivalMs);
        cmd.Parameters.AddWithValue("$l", limit);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var records = new List<StoredRecord>();
        var bytes = 0;
        while (await reader.ReadAsync(ct))
        {
            var data = (byte[])reader.GetValue(3);
            var key = reader.GetString(2);
            bytes += data.Length + key.Length;
            if (records.Count > 0 && bytes > maxBytes) break;
            records.Add(new StoredRecord(reader.GetInt64(0), reader.GetInt64(1), key, data));
        }

        return records;
    }

    public async Task<long?> FirstIndexAtOrAfterAsync(long streamId, int shardIndex, long arrivalMs, CancellationToken ct)
    {
        await using var connection = await OpenReaderAsync(ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT first_index FROM record_batches WHERE stream_id = $s AND shard = $h AND arrival_ms >= $a ORDER BY first_index LIMIT 1";
        cmd.Parameters.AddWithValue("$s", streamId);
        cmd.Parameters.AddWithValue("$h", shardIndex);
        cmd.Parameters.AddWithValue("$a", arrivalMs);
        return await cmd.ExecuteScalarAsync(ct) is long index ? index : null;
    }

    public Task TrimAsync(long streamId, int shardIndex, long beforeArrivalMs, CancellationToken ct) => WriteAsync(async w =>
    {
        await using var find = w.CreateCommand();
        find.CommandText = "SELECT first_index FROM record_batches WHERE stream_id = $s AND shard = $h AND arrival_ms >= $a ORDER BY first_index LIMIT 1";
        find.Parameters.AddWithValue("$s", streamId);
        find.Parameters.AddWithValue("$h", shardIndex);
        find.Parameters.AddWithValue("$a", beforeArrivalMs);
        var cut = await find.ExecuteScalarAsync(ct) is long index ? index : _sequences.GetValueOrDefault((streamId, shardIndex))?.Next ?? 0;
        await using var delete = w.CreateCommand();
        delete.CommandText = """
            DELETE FROM records WHERE stream_id = $s AND shard = $h AND idx < $c;
            DELETE FROM record_batches WHERE stream_id = $s AND shard = $h AND first_index < $c;
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
            _insertRecord?.Dispose();
            _insertBatch?.Dispose();
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
