using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace Sluice.Streams.Storage;

/// <summary>
/// The cluster store: the sluice_streams schema of a PostgreSQL database that every replica shares. A shard's order comes
/// from its sequence row, which an append locks from reserving its indexes until it commits, so readers never see a
/// hole and a close waits for the appends in flight. Each call takes its own pooled connection; nothing is shared.
/// </summary>
public sealed class PostgresStreamStore : IStreamStore
{
    // Versions of the schema, applied in order under an advisory lock; append, never edit.
    private static readonly string[] Migrations =
    [
        """
        CREATE SEQUENCE IF NOT EXISTS sluice_streams.stream_ids;
        CREATE TABLE IF NOT EXISTS sluice_streams.settings(key text PRIMARY KEY, value bytea NOT NULL);
        CREATE TABLE IF NOT EXISTS sluice_streams.streams(id bigint PRIMARY KEY, name text NOT NULL, document text NOT NULL);
        CREATE TABLE IF NOT EXISTS sluice_streams.shard_sequences(
            stream_id bigint NOT NULL, shard int NOT NULL, next_index bigint NOT NULL DEFAULT 0, closed boolean NOT NULL DEFAULT false,
            last_arrival_ms bigint NOT NULL DEFAULT 0, PRIMARY KEY (stream_id, shard)) WITH (fillfactor = 50);
        CREATE TABLE IF NOT EXISTS sluice_streams.records(
            stream_id bigint NOT NULL, shard int NOT NULL, idx bigint NOT NULL, arrival_ms bigint NOT NULL,
            partition_key text NOT NULL, data bytea NOT NULL, PRIMARY KEY (stream_id, shard, idx));
        CREATE TABLE IF NOT EXISTS sluice_streams.record_batches(
            stream_id bigint NOT NULL, shard int NOT NULL, first_index bigint NOT NULL, arrival_ms bigint NOT NULL,
            PRIMARY KEY (stream_id, shard, first_index));
        CREATE INDEX IF NOT EXISTS record_batches_by_arrival ON sluice_streams.record_batches(stream_id, shard, arrival_ms, first_index);
        """,
    ];

    // Locks the batch's open shard rows in (stream, shard) order, so concurrent appends cannot deadlock; when every shard
    // is open, reserves each shard's indexes, inserts the records passed along (slot is the shard's 1-based position in
    // the batch, offset the record's place in it) and gives the batch one arrival time no earlier than any earlier
    // append to those shards, which keeps arrival times non-decreasing in index order across committers and replicas.
    // A closed or missing shard changes nothing and returns no rows.
    private const string AppendSql = """
        WITH locked AS (
            SELECT s.stream_id, s.shard, s.last_arrival_ms, w.n, w.slot
            FROM sluice_streams.shard_sequences s
            JOIN unnest($1::bigint[], $2::int[], $3::int[]) WITH ORDINALITY AS w(stream_id, shard, n, slot)
                ON s.stream_id = w.stream_id AND s.shard = w.shard
            WHERE NOT s.closed
            ORDER BY s.stream_id, s.shard
            FOR UPDATE OF s),
        arrival AS (SELECT GREATEST($4, max(last_arrival_ms)) AS ms FROM locked),
        moved AS (
            UPDATE sluice_streams.shard_sequences s SET next_index = s.next_index + l.n, last_arrival_ms = a.ms
            FROM locked l, arrival a
            WHERE s.stream_id = l.stream_id AND s.shard = l.shard AND (SELECT count(*) FROM locked) = cardinality($1)
            RETURNING s.stream_id, s.shard, s.next_index - l.n AS first_index, l.n, l.slot, a.ms),
        batches AS (
            INSERT INTO sluice_streams.record_batches(stream_id, shard, first_index, arrival_ms)
            SELECT stream_id, shard, first_index, ms FROM moved WHERE n > 0),
        stored AS (
            INSERT INTO sluice_streams.records(stream_id, shard, idx, arrival_ms, partition_key, data)
            SELECT m.stream_id, m.shard, m.first_index + r.offset_in_shard, m.ms, r.partition_key, r.data
            FROM unnest($5::int[], $6::int[], $7::text[], $8::bytea[]) AS r(slot, offset_in_shard, partition_key, data)
            JOIN moved m ON m.slot = r.slot)
        SELECT stream_id, shard, first_index, ms FROM moved ORDER BY stream_id, shard
        """;

    // Above this many bytes of data and keys a batch is streamed with COPY rather than sent as statement parameters.
    private const long InlineBytes = 16 << 20;

    private const string CopySql = "COPY sluice_streams.records(stream_id, shard, idx, arrival_ms, partition_key, data) FROM STDIN (FORMAT BINARY)";

    // The server sends only rows that start within maxBytes of data, so a read of large records stops early; the exact
    // cut (data plus key, as SQLite) is made while reading and never needs a row the server left out.
    private const string ReadSql = """
        SELECT idx, arrival_ms, partition_key, data FROM (
            SELECT idx, arrival_ms, partition_key, data,
                sum(octet_length(data)) OVER (ORDER BY idx ROWS UNBOUNDED PRECEDING) - octet_length(data) AS bytes_before
            FROM sluice_streams.records
            WHERE stream_id = $1 AND shard = $2 AND idx >= $3 AND arrival_ms >= $4
            ORDER BY idx
            LIMIT $5) r
        WHERE bytes_before < GREATEST($6, 1)
        ORDER BY idx
        """;

    // Arrival times are non-decreasing in index order (see AppendSql), so the first batch by arrival is the first by index.
    private const string FirstBatchAtOrAfterSql = """
        SELECT first_index FROM sluice_streams.record_batches
        WHERE stream_id = $1 AND shard = $2 AND arrival_ms >= $3
        ORDER BY arrival_ms, first_index LIMIT 1
        """;

    // One snapshot: records of appends still in flight lie above the committed next_index, so they are never cut.
    private const string TrimSql = """
        WITH cut AS (
            SELECT COALESCE(
                (SELECT first_index FROM sluice_streams.record_batches
                 WHERE stream_id = $1 AND shard = $2 AND arrival_ms >= $3 ORDER BY arrival_ms, first_index LIMIT 1),
                (SELECT next_index FROM sluice_streams.shard_sequences WHERE stream_id = $1 AND shard = $2),
                0) AS idx),
        gone AS (DELETE FROM sluice_streams.records WHERE stream_id = $1 AND shard = $2 AND idx < (SELECT idx FROM cut))
        DELETE FROM sluice_streams.record_batches WHERE stream_id = $1 AND shard = $2 AND first_index < (SELECT idx FROM cut)
        """;

    private readonly NpgsqlDataSource _dataSource;

    public PostgresStreamStore(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        settings.ApplicationName ??= "sluice-streams";

        // The same few statements run on every connection: prepare them once per connection unless configured.
        if (settings.MaxAutoPrepare == 0) settings.MaxAutoPrepare = 32;
        _dataSource = builder.Build();
    }

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // Replicas starting together queue here; the lock ends with the transaction.
        await ExecuteAsync(connection, "SELECT pg_advisory_xact_lock(hashtext('sluice_streams.schema'))", ct);
        await ExecuteAsync(connection, """
            CREATE SCHEMA IF NOT EXISTS sluice_streams;
            CREATE TABLE IF NOT EXISTS sluice_streams.schema_versions(version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
            """, ct);
        int applied;
        await using (var version = new NpgsqlCommand("SELECT COALESCE(max(version), 0) FROM sluice_streams.schema_versions", connection))
        {
            applied = (int)(await version.ExecuteScalarAsync(ct))!;
        }

        for (var v = applied; v < Migrations.Length; v++)
        {
            await ExecuteAsync(connection, Migrations[v], ct);
            await using var record = new NpgsqlCommand("INSERT INTO sluice_streams.schema_versions(version) VALUES ($1)", connection);
            record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = v + 1 });
            await record.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    public async Task<byte[]> GetSecretAsync(CancellationToken ct)
    {
        // Replicas asking first at once each offer a secret; the first insert wins and all read it back.
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using (var offer = new NpgsqlCommand("INSERT INTO sluice_streams.settings(key, value) VALUES ('secret', $1) ON CONFLICT (key) DO NOTHING", connection))
        {
            offer.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = RandomNumberGenerator.GetBytes(32) });
            await offer.ExecuteNonQueryAsync(ct);
        }

        await using var select = new NpgsqlCommand("SELECT value FROM sluice_streams.settings WHERE key = 'secret'", connection);
        return (byte[])(await select.ExecuteScalarAsync(ct))!;
    }

    public async Task<IReadOnlyList<string>> LoadStreamsAsync(CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT document FROM sluice_streams.streams ORDER BY id");
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var documents = new List<string>();
        while (await reader.ReadAsync(ct)) documents.Add(reader.GetString(0));
        return documents;
    }

    public async Task<long> AllocateStreamIdAsync(CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT nextval('sluice_streams.stream_ids')");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    public async Task SaveStreamAsync(long streamId, string name, string document, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO sluice_streams.streams(id, name, document) VALUES ($1, $2, $3)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, document = excluded.document
            """);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = streamId });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = document });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task DeleteStreamAsync(long streamId, CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // Lock the shard rows first (in append order): an append in flight commits before the deletes, which then
        // see its records; one arriving later finds no shard and is refused.
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                StreamCommand("SELECT 1 FROM sluice_streams.shard_sequences WHERE stream_id = $1 ORDER BY shard FOR UPDATE", streamId),
                StreamCommand("DELETE FROM sluice_streams.records WHERE stream_id = $1", streamId),
                StreamCommand("DELETE FROM sluice_streams.record_batches WHERE stream_id = $1", streamId),
                StreamCommand("DELETE FROM sluice_streams.shard_sequences WHERE stream_id = $1", streamId),
                StreamCommand("DELETE FROM sluice_streams.streams WHERE id = $1", streamId),
            },
        };
        await batch.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
    }

    public async Task AddShardAsync(long streamId, int shardIndex, CancellationToken ct)
    {
        await using var cmd = ShardCommand("INSERT INTO sluice_streams.shard_sequences(stream_id, shard) VALUES ($1, $2) ON CONFLICT DO NOTHING", streamId, shardIndex);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<long> CloseShardAsync(long streamId, int shardIndex, CancellationToken ct)
    {
        // The update waits for appends holding the row, so the end it returns follows every append in flight.
        await using var cmd = ShardCommand("UPDATE sluice_streams.shard_sequences SET closed = true WHERE stream_id = $1 AND shard = $2 RETURNING next_index", streamId, shardIndex);
        return await cmd.ExecuteScalarAsync(ct) is long next ? next : throw new InvalidOperationException($"No shard {shardIndex} in stream {streamId}.");
    }

    public async Task<bool> AppendAsync(AppendBatch batch, CancellationToken ct)
    {
        var shards = batch.Shards;
        if (shards.Count == 0) return true;
        var streamIds = new long[shards.Count];
        var shardIndexes = new int[shards.Count];
        var counts = new int[shards.Count];
        var total = 0;
        long bytes = 0;
        for (var i = 0; i < shards.Count; i++)
        {
            var shard = shards[i];
            if (i > 0 && (shard.StreamId, shard.ShardIndex).CompareTo((streamIds[i - 1], shardIndexes[i - 1])) <= 0)
            {
                throw new ArgumentException("The batch's shards must be distinct and sorted by stream, then shard.", nameof(batch));
            }

            streamIds[i] = shard.StreamId;
            shardIndexes[i] = shard.ShardIndex;
            counts[i] = shard.Records.Count;
            total += counts[i];
            foreach (var (key, data) in shard.Records) bytes += data.Length + key.Length;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        Reservation? reservation;
        if (bytes <= InlineBytes)
        {
            // The records travel with the reservation: one statement committing on its own, so the shard rows stay
            // locked only while the server inserts, not while the records cross the network.
            var slots = new int[total];
            var offsets = new int[total];
            var keys = new string[total];
            var values = new byte[total][];
            var r = 0;
            for (var i = 0; i < shards.Count; i++)
            {
                var offset = 0;
                foreach (var (key, data) in shards[i].Records)
                {
                    slots[r] = i + 1;
                    offsets[r] = offset++;
                    keys[r] = key;
                    values[r++] = data;
                }
            }

            reservation = await ReserveAsync(connection, null, batch, streamIds, shardIndexes, counts, (slots, offsets, keys, values), ct);
            if (reservation is null) return false;
        }
        else
        {
            // Too big for one statement's parameters: reserve, stream the records in with COPY, commit.
            await using var tx = await connection.BeginTransactionAsync(ct);
            reservation = await ReserveAsync(connection, tx, batch, streamIds, shardIndexes, counts, ([], [], [], []), ct);
            if (reservation is null)
            {
                await tx.RollbackAsync(ct);
                return false;
            }

            await CopyRecordsAsync(connection, shards, reservation, ct);
            await tx.CommitAsync(ct);
        }

        for (var i = 0; i < shards.Count; i++) shards[i].FirstIndex = reservation.FirstIndexes[i];
        batch.ArrivalMs = reservation.ArrivalMs;
        return true;
    }

    public async Task<long> NextRecordIndexAsync(long streamId, int shardIndex, CancellationToken ct)
    {
        await using var cmd = ShardCommand("SELECT next_index FROM sluice_streams.shard_sequences WHERE stream_id = $1 AND shard = $2", streamId, shardIndex);
        return await cmd.ExecuteScalarAsync(ct) is long next ? next : 0;
    }

    public async Task<IReadOnlyList<StoredRecord>> ReadAsync(long streamId, int shardIndex, long fromIndex, long minArrivalMs, int limit, int maxBytes, CancellationToken ct)
    {
        await using var cmd = ShardCommand(ReadSql, streamId, shardIndex);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = fromIndex });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = minArrivalMs });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = limit });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = maxBytes });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var records = new List<StoredRecord>();
        var bytes = 0;
        while (await reader.ReadAsync(ct))
        {
            var key = reader.GetString(2);
            var data = reader.GetFieldValue<byte[]>(3);
            bytes += data.Length + key.Length;
            if (records.Count > 0 && bytes > maxBytes) break;
            records.Add(new StoredRecord(reader.GetInt64(0), reader.GetInt64(1), key, data));
        }

        return records;
    }

    public async Task<long?> FirstIndexAtOrAfterAsync(long streamId, int shardIndex, long arrivalMs, CancellationToken ct)
    {
        await using var cmd = ShardCommand(FirstBatchAtOrAfterSql, streamId, shardIndex);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = arrivalMs });
        return await cmd.ExecuteScalarAsync(ct) is long index ? index : null;
    }

    public async Task TrimAsync(long streamId, int shardIndex, long beforeArrivalMs, CancellationToken ct)
    {
        await using var cmd = ShardCommand(TrimSql, streamId, shardIndex);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = beforeArrivalMs });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static async Task<Reservation?> ReserveAsync(
        NpgsqlConnection connection, NpgsqlTransaction? tx, AppendBatch batch, long[] streamIds, int[] shardIndexes, int[] counts,
        (int[] Slots, int[] Offsets, string[] Keys, byte[][] Data) records, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(AppendSql, connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = streamIds });
        cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = shardIndexes });
        cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = counts });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = batch.ArrivalMs });
        cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = records.Slots });
        cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = records.Offsets });
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = records.Keys });
        cmd.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = records.Data });
        var firstIndexes = new long[streamIds.Length];
        var arrivalMs = batch.ArrivalMs;
        var reserved = 0;
        await using (var reader = await cmd.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                if (reserved == streamIds.Length || reader.GetInt64(0) != streamIds[reserved] || reader.GetInt32(1) != shardIndexes[reserved])
                {
                    throw new InvalidOperationException("The append returned shards the batch does not hold.");
                }

                firstIndexes[reserved++] = reader.GetInt64(2);
                arrivalMs = reader.GetInt64(3);
            }

            // Without a transaction the commit follows the rows: a failure to commit surfaces here, before any ack.
            while (await reader.NextResultAsync(ct))
            {
            }
        }

        return reserved == streamIds.Length ? new Reservation(firstIndexes, arrivalMs) : null;
    }

    private static async Task CopyRecordsAsync(NpgsqlConnection connection, List<ShardAppend> shards, Reservation reservation, CancellationToken ct)
    {
        await using var copy = await connection.BeginBinaryImportAsync(CopySql, ct);
        for (var i = 0; i < shards.Count; i++)
        {
            var shard = shards[i];
            var index = reservation.FirstIndexes[i];
            foreach (var (key, data) in shard.Records)
            {
                await copy.StartRowAsync(ct);
                await copy.WriteAsync(shard.StreamId, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(shard.ShardIndex, NpgsqlDbType.Integer, ct);
                await copy.WriteAsync(index++, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(reservation.ArrivalMs, NpgsqlDbType.Bigint, ct);
                await copy.WriteAsync(key, NpgsqlDbType.Text, ct);
                await copy.WriteAsync(data, NpgsqlDbType.Bytea, ct);
            }
        }

        await copy.CompleteAsync(ct);
    }

    private NpgsqlCommand ShardCommand(string sql, long streamId, int shardIndex)
    {
        var cmd = _dataSource.CreateCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = streamId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = shardIndex });
        return cmd;
    }

    private sealed record Reservation(long[] FirstIndexes, long ArrivalMs);

    private static NpgsqlBatchCommand StreamCommand(string sql, long streamId) =>
        new(sql) { Parameters = { new NpgsqlParameter<long> { TypedValue = streamId } } };

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
