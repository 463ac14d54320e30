using Npgsql;

namespace Sluice.Streams.Leases;

/// <summary>
/// Leases in the sluice_streams schema of the shared PostgreSQL database; every replica's workers compare-and-set the
/// same rows, so a lease has one holder across machines. Each call takes its own pooled connection.
/// </summary>
public sealed class PostgresLeaseStore : ILeaseStore
{
    private const string Columns = "shard_id, owner, counter, expires_ms, checkpoint, checkpoint_sub, parents";
    private const string Key = "stream_id = $1 AND consumer_group = $2 AND shard_id = $3";
    private readonly NpgsqlDataSource _dataSource;

    public PostgresLeaseStore(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.ConnectionStringBuilder.ApplicationName ??= "sluice-streams-leases";
        _dataSource = builder.Build();
    }

    public async Task InitializeAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // The stream store's schema lock: replicas starting together create the schema and tables once.
        await using var cmd = new NpgsqlCommand("""
            SELECT pg_advisory_xact_lock(hashtext('sluice_streams.schema'));
            CREATE SCHEMA IF NOT EXISTS sluice_streams;
            CREATE TABLE IF NOT EXISTS sluice_streams.leases(
                stream_id bigint NOT NULL, consumer_group text NOT NULL, shard_id text NOT NULL,
                owner text, counter bigint NOT NULL DEFAULT 0, expires_ms bigint NOT NULL DEFAULT 0,
                checkpoint text, checkpoint_sub bigint NOT NULL DEFAULT 0, parents text NOT NULL DEFAULT '',
                PRIMARY KEY (stream_id, consumer_group, shard_id));
            """, connection, tx);
        await cmd.ExecuteNonQueryAsync(ct);
        await tx.CommitAsync(ct);
    }

    public async Task AddShardsAsync(long streamId, string group, IReadOnlyList<LeaseShard> shards, CancellationToken ct)
    {
        var ids = new string[shards.Count];
        var parents = new string[shards.Count];
        for (var i = 0; i < shards.Count; i++)
        {
            ids[i] = shards[i].ShardId;
            parents[i] = LeaseRecord.JoinParents(shards[i]);
        }

        await using var cmd = _dataSource.CreateCommand("""
            INSERT INTO sluice_streams.leases(stream_id, consumer_group, shard_id, parents)
            SELECT $1, $2, s.id, s.parents FROM unnest($3::text[], $4::text[]) AS s(id, parents)
            ON CONFLICT DO NOTHING
            """);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = streamId });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group });
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = ids });
        cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = parents });
        await cmd.ExecuteNonQueryAsync(ct);
    }

    public async Task<IReadOnlyList<LeaseRecord>> ListAsync(long streamId, string group, CancellationToken ct)
    {
        await using var cmd = _dataSource.CreateCommand($"SELECT {Columns} FROM sluice_streams.leases WHERE stream_id = $1 AND consumer_group = $2 ORDER BY shard_id COLLATE \"C\"");
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = streamId });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        var leases = new List<LeaseRecord>();
        while (await reader.ReadAsync(ct)) leases.Add(Read(reader));
        return leases;
    }

    public Task<LeaseRecord?> TakeAsync(long streamId, string group, string shardId, long seenCounter, string worker, long nowMs, long expiresMs, bool steal, CancellationToken ct) =>
        UpdateAsync(
            $"""
            UPDATE sluice_streams.leases SET owner = $4, counter = counter + 1, expires_ms = $5
            WHERE {Key} AND counter = $6 AND checkpoint IS DISTINCT FROM 'SHARD_END' AND ($7 OR owner IS NULL OR expires_ms <= $8)
            RETURNING {Columns}
            """,
            streamId, group, shardId, ct, worker, expiresMs, seenCounter, steal, nowMs);

    public Task<LeaseRecord?> RenewAsync(long streamId, string group, string shardId, string worker, long counter, long expiresMs, CancellationToken ct) =>
        UpdateAsync(
            $"UPDATE sluice_streams.leases SET expires_ms = $6 WHERE {Key} AND owner = $4 AND counter = $5 RETURNING {Columns}",
            streamId, group, shardId, ct, worker, counter, expiresMs);

    public Task<LeaseRecord?> CheckpointAsync(long streamId, string group, string shardId, string worker, long counter, LeaseCheckpoint checkpoint, CancellationToken ct) =>
        checkpoint.ShardEnd
            ? UpdateAsync(
                $"UPDATE sluice_streams.leases SET checkpoint = $6, checkpoint_sub = 0, owner = NULL, counter = counter + 1, expires_ms = 0 WHERE {Key} AND owner = $4 AND counter = $5 RETURNING {Columns}",
                streamId, group, shardId, ct, worker, counter, checkpoint.Column)
            : UpdateAsync(
                $"UPDATE sluice_streams.leases SET checkpoint = $6, checkpoint_sub = $7 WHERE {Key} AND owner = $4 AND counter = $5 RETURNING {Columns}",
                streamId, group, shardId, ct, worker, counter, checkpoint.Column, checkpoint.SubSequenceNumber);

    public async Task<bool> ReleaseAsync(long streamId, string group, string shardId, string worker, long counter, CancellationToken ct) =>
        await UpdateAsync(
            $"UPDATE sluice_streams.leases SET owner = NULL, counter = counter + 1, expires_ms = 0 WHERE {Key} AND owner = $4 AND counter = $5 RETURNING {Columns}",
            streamId, group, shardId, ct, worker, counter) is not null;

    private async Task<LeaseRecord?> UpdateAsync(string sql, long streamId, string group, string shardId, CancellationToken ct, params object[] values)
    {
        await using var cmd = _dataSource.CreateCommand(sql);
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = streamId });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = group });
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = shardId });
        foreach (var value in values) cmd.Parameters.Add(new NpgsqlParameter { Value = value });
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    private static LeaseRecord Read(NpgsqlDataReader r) => new(
        r.GetString(0),
        r.IsDBNull(1) ? null : r.GetString(1),
        r.GetInt64(2),
        r.GetInt64(3),
        LeaseCheckpoint.FromColumns(r.IsDBNull(4) ? null : r.GetString(4), r.GetInt64(5)),
        LeaseRecord.SplitParents(r.GetString(6)));

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
