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

        // Records in chunks, one row per shard per append (see RecordChunks); old rows become chunks of one record.
        // Payloads are stored out of line uncompressed: record data is usually compressed or random already.
        """
        CREATE TABLE sluice_streams.record_chunks(
            stream_id bigint NOT NULL, shard int NOT NULL, first_index bigint NOT NULL, arrival_ms bigint NOT NULL,
            record_count int NOT NULL, payload bytea NOT NULL, PRIMARY KEY (stream_id, shard, first_index));
        ALTER TABLE sluice_streams.record_chunks ALTER COLUMN payload SET STORAGE EXTERNAL;
        CREATE INDEX record_chunks_by_arrival ON sluice_streams.record_chunks(stream_id, shard, arrival_ms, first_index);
        INSERT INTO sluice_streams.record_chunks(stream_id, shard, first_index, arrival_ms, record_count, payload)
            SELECT stream_id, shard, idx, arrival_ms, 1,
                int4send(octet_length(convert_to(partition_key, 'UTF8'))) || convert_to(partition_key, 'UTF8') || int4send(octet_length(data)) || data
            FROM sluice_streams.records;
        DROP TABLE sluice_streams.records;
        DROP TABLE sluice_streams.record_batches;
        """,
    ];

    // Locks the batch's open shard rows in (stream, shard) order, so concurrent appends cannot deadlock; when every shard
    // is open, reserves each shard's indexes, inserts the chunks passed along (one per shard, in batch order) and gives
    // the batch one arrival time no earlier than any earlier append to those shards, which keeps arrival times
    // non-decreasing in index order across committers and replicas.
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
        stored AS (
            INSERT INTO sluice_streams.record_chunks(stream_id, shard, first_index, arrival_ms, record_count, payload)
            SELECT m.stream_id, m.shard, m.first_index, m.ms, m.n, p.payload
            FROM moved m JOIN unnest($5::bytea[]) WITH ORDINALITY AS p(payload, slot) ON p.slot = m.slot
            WHERE m.n > 0)
        SELECT stream_id, shard, first_index, ms FROM moved ORDER BY stream_id, shard
        """;

    // Above this many bytes of data and keys a batch is streamed with COPY rather than sent as statement parameters.
    private const long InlineBytes = 16 << 20;

    private const string CopySql = "COPY sluice_streams.record_chunks(stream_id, shard, first_index, arrival_ms, record_count, payload) FROM STDIN (FORMAT BINARY)";

    // Indexes are contiguous per shard and arrival times non-decreasing in index order, so the records a read wants lie
    // in [start, start + limit), start being past both the requested index and the records that arrived too early. The
    // server sends a chunk only while the chunks between the first and it hold less than maxBytes (a payload is never
    // smaller than its data plus key), so a read of large records stops early; the exact cut is made while unpacking.
    private const string ReadSql = """
        WITH bounds AS (
            SELECT GREATEST($3, COALESCE(
                (SELECT first_index FROM sluice_streams.record_chunks
                 WHERE stream_id = $1 AND shard = $2 AND arrival_ms >= $4 ORDER BY arrival_ms, first_index LIMIT 1), $3)) AS start)
        SELECT first_index, arrival_ms, payload FROM (
            SELECT c.first_index, c.arrival_ms, c.payload,
                sum(octet_length(c.payload)) OVER w - octet_length(c.payload) - first_value(octet_length(c.payload)) OVER w AS bytes_between
            FROM sluice_streams.record_chunks c, bounds b
            WHERE c.stream_id = $1 AND c.shard = $2 AND c.arrival_ms >= $4
              AND c.first_index >= COALESCE(
                  (SELECT max(first_index) FROM sluice_streams.record_chunks WHERE stream_id = $1 AND shard = $2 AND first_index <= b.start), 0)
              AND c.first_index < b.start + $5
            WINDOW w AS (ORDER BY c.first_index ROWS UNBOUNDED PRECEDING)) r
        WHERE bytes_between < GREATEST($6, 1)
        ORDER BY first_index
        """;

    // Arrival times are non-decreasing in index order (see AppendSql), so the first batch by arrival is the first by index.
    private const string FirstBatchAtOrAfterSql = """
        SELECT first_index FROM sluice_streams.record_chunks
        WHERE stream_id = $1 AND shard = $2 AND arrival_ms >= $3
        ORDER BY arrival_ms, first_index LIMIT 1
        """;

    // One snapshot: records of appends still in flight lie above the committed next_index, so they are never cut.
    private const string TrimSql = """
        WITH cut AS (
            SELECT COALESCE(
                (SELECT first_index FROM sluice_streams.record_chunks
                 WHERE stream_id = $1 AND shard = $2 AND arrival_ms >= $3 ORDER BY arrival_ms, first_index LIMIT 1),
                (SELECT next_index FROM sluice_streams.shard_sequences WHERE stream_id = $1 AND shard = $2),
                0) AS idx)
        DELETE FROM sluice_streams.record_chunks WHERE stream_id = $1 AND shard = $2 AND first_index < (SELECT idx FROM cut)
        """;

    private readonly NpgsqlDataSource _dataSource;

    public PostgresStreamStore(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        var settings = builder.ConnectionStringBuilder;
        settings.ApplicationName ??= "sluice-streams";

        // The same few statements run on every connection: prepare them once per connection unless configured.
        if (settings.MaxAutoPrepare == 0) settings.MaxAutoPrepare = 32;

        // Their parameters never change the best plan (a shard's rows by primary key), yet PostgreSQL would re-plan the
        // append's CTE for every commit, judging a generic plan for array parameters costlier: plan once per connection.
        if (string.IsNullOrEmpty(settings.Options)) settings.Options = "-c plan_cache_mode=force_generic_plan";
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
                StreamCommand("DELETE FROM sluice_streams.record_chunks WHERE stream_id = $1", streamId),
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
            foreach (var (key, data) in shard.Records) bytes += data.Length + key.Length;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        Reservation? reservation;
        if (bytes <= InlineBytes)
        {
            // The chunks travel with the reservation: one statement committing on its own, so the shard rows stay
            // locked only while the server inserts, not while the records cross the network.
            var payloads = new byte[shards.Count][];
            for (var i = 0; i < shards.Count; i++) payloads[i] = RecordChunks.Pack(shards[i].Records);
            reservation = await ReserveAsync(connection, null, batch, streamIds, shardIndexes, counts, payloads, ct);
            if (reservation is null) return false;
        }
        else
        {
            // Too big for one statement's parameters: reserve, stream the records in with COPY, commit.
            await using var tx = await connection.BeginTransactionAsync(ct);
            reservation = await ReserveAsync(connection, tx, batch, streamIds, shardIndexes, counts, [], ct);
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
        var records = new List<StoredRecord>();
        if (limit <= 0) return records;
        await using var cmd = ShardCommand(ReadSql, streamId, shardIndex);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = Math.Min(fromIndex, long.MaxValue - limit - 1) });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = minArrivalMs });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = limit });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = maxBytes });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var bytes = 0;
        while (await reader.ReadAsync(ct))
        {
            var payload = reader.GetFieldValue<byte[]>(2);
            if (!RecordChunks.Unpack(payload, reader.GetInt64(0), reader.GetInt64(1), fromIndex, limit, maxBytes, ref bytes, records)) break;
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
        byte[][] payloads, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(AppendSql, connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = streamIds });
        cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = shardIndexes });
        cmd.Parameters.Add(new NpgsqlParameter<int[]> { TypedValue = counts });
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = batch.ArrivalMs });
        cmd.Parameters.Add(new NpgsqlParameter<byte[][]> { TypedValue = payloads });
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
            if (shard.Records.Count == 0) continue;
            await copy.StartRowAsync(ct);
            await copy.WriteAsync(shard.StreamId, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(shard.ShardIndex, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(reservation.FirstIndexes[i], NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(reservation.ArrivalMs, NpgsqlDbType.Bigint, ct);
            await copy.WriteAsync(shard.Records.Count, NpgsqlDbType.Integer, ct);
            await copy.WriteAsync(RecordChunks.Pack(shard.Records), NpgsqlDbType.Bytea, ct);
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
