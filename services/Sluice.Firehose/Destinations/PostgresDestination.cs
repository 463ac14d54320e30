using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Transform;

namespace Sluice.Firehose.Destinations;

/// <summary>
/// Loads batches into a PostgreSQL table configured as a Redshift destination (the warehouse role Redshift plays): the
/// rows are read per CopyOptions and written with COPY in one transaction together with a row in
/// <c>sluice_firehose_loads</c>, so a batch id already loaded is skipped on redelivery. Rows that do not fit fail the
/// batch at once; connection and schema errors are retried until RetryOptions.DurationInSeconds (default 3600).
/// </summary>
public sealed partial class PostgresDestination(HookTimings timings, TimeProvider time, ILogger<PostgresDestination> logger) : IBatchDestination
{
    /// <summary>The load table, in the target database, that makes loads idempotent per (delivery stream, batch id).</summary>
    public const string LoadTable = "sluice_firehose_loads";

    private readonly ConcurrentDictionary<string, bool> _preparedDatabases = new(StringComparer.Ordinal);

    public DestinationKind Kind => DestinationKind.Redshift;

    public async Task<DeliveryOutcome> DeliverAsync(DeliveryBatch batch, CancellationToken ct)
    {
        var (command, configError) = PostgresCopyCommand.Read(batch.Stream.DestinationConfiguration);
        if (command is null) return new DeliveryOutcome(false, 0, "Redshift.InvalidConfiguration", configError);
        var budget = TimeSpan.FromSeconds(command.RetrySeconds);
        Stopwatch? sinceFirstFailure = null;
        var backoff = timings.PostgresInitialBackoff;
        var attempts = 0;
        while (true)
        {
            attempts++;
            var failure = await LoadOnceAsync(command, batch, ct);
            if (failure is null) return DeliveryOutcome.Success(attempts);
            if (!failure.Value.Retryable) return new DeliveryOutcome(false, attempts, failure.Value.Code, failure.Value.Message);
            sinceFirstFailure ??= Stopwatch.StartNew();
            var left = budget - sinceFirstFailure.Elapsed;
            if (left <= TimeSpan.Zero) return new DeliveryOutcome(false, attempts, failure.Value.Code, failure.Value.Message);
            var delay = backoff < left ? backoff : left;
            LogRetry(logger, batch.Stream.Name, batch.BatchId, attempts, delay.TotalSeconds, failure.Value.Message);
            await Task.Delay(delay, ct);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, timings.PostgresMaxBackoff.Ticks));
        }
    }

    /// <summary>One load attempt: null when the batch is in the table (now or before), else what went wrong.</summary>
    private async Task<(string Code, string Message, bool Retryable)?> LoadOnceAsync(PostgresCopyCommand command, DeliveryBatch batch, CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(command.ConnectionString);
            await connection.OpenAsync(ct);
            await EnsureLoadTableAsync(connection, command.ConnectionString, ct);
            await using var tx = await connection.BeginTransactionAsync(ct);

            // Claim the batch first: a concurrent load of the same batch waits here on the key, then sees it loaded.
            await using (var claim = new NpgsqlCommand($"INSERT INTO {LoadTable} (delivery_stream, batch_id, loaded_at, record_count) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", connection, tx))
            {
                claim.Parameters.Add(new NpgsqlParameter { Value = batch.Stream.Name });
                claim.Parameters.Add(new NpgsqlParameter { Value = batch.BatchId });
                claim.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() });
                claim.Parameters.Add(new NpgsqlParameter { Value = (long)batch.Records.Count });
                if (await claim.ExecuteNonQueryAsync(ct) == 0)
                {
                    await tx.RollbackAsync(ct);
                    return null;
                }
            }

            var columns = await ReadColumnsAsync(connection, tx, command, ct);
            var copyText = new StringBuilder((int)Math.Min(batch.Bytes + (batch.Bytes / 4) + 1024, int.MaxValue / 2));
            var (rows, rowError) = PostgresRows.Write(command, columns, batch.Records, copyText);
            if (rowError is not null)
            {
                await tx.RollbackAsync(ct);
                return ("Redshift.DataLoadFailed", $"The batch was not loaded into {command.Table}: {rowError}", false);
            }

            if (rows > 0)
            {
                await using var writer = await connection.BeginTextImportAsync($"COPY {command.Table} ({string.Join(", ", columns.SqlNames)}) FROM STDIN", ct);
                foreach (var chunk in copyText.GetChunks()) await writer.WriteAsync(chunk, ct);
            }

            await tx.CommitAsync(ct);
            return null;
        }
        catch (PostgresException e)
        {
            // The load table may have been dropped since: check it again next time.
            if (e.SqlState == "42P01") _preparedDatabases.TryRemove(command.ConnectionString, out _);
            return Classify(e, command);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException or IOException)
        {
            return ("Redshift.ConnectionFailed", $"Could not load into {command.Table}: {e.Message}", true);
        }
    }

    /// <summary>Data and constraint errors fail the batch now (a retry loads the same rows); the rest may heal (a table created, a server back).</summary>
    private static (string Code, string Message, bool Retryable) Classify(PostgresException e, PostgresCopyCommand command)
    {
        var message = $"The batch was not loaded into {command.Table}: {e.SqlState} {e.MessageText}{(e.Where is { Length: > 0 } where ? " (" + where + ")" : "")}";
        return e.SqlState switch
        {
            var s when s.StartsWith("22", StringComparison.Ordinal) || s.StartsWith("23", StringComparison.Ordinal) => ("Redshift.DataLoadFailed", message, false),
            "42P01" or "3F000" => ("Redshift.TableNotFound", message, true),
            "42703" => ("Redshift.ColumnNotFound", message, true),
            var s when s.StartsWith("28", StringComparison.Ordinal) => ("Redshift.AuthenticationFailed", message, true),
            "42501" => ("Redshift.AccessDenied", message, true),
            "3D000" => ("Redshift.DatabaseNotFound", message, true),
            _ => ("Redshift.CopyFailed", message, true),
        };
    }

    /// <summary>The columns COPY fills: DataTableColumns when given, else every column of the table, with whether each holds text.</summary>
    private static async Task<PostgresColumns> ReadColumnsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, PostgresCopyCommand command, CancellationToken ct)
    {
        var tableNames = new List<string>();
        var tableText = new List<bool>();
        await using (var probe = new NpgsqlCommand($"SELECT * FROM {command.Table} WHERE false", connection, tx))
        await using (var reader = await probe.ExecuteReaderAsync(ct))
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                tableNames.Add(reader.GetName(i));
                tableText.Add(IsTextType(reader.GetDataTypeName(i)));
            }
        }

        if (command.Columns is null)
        {
            var quoted = new string[tableNames.Count];
            for (var i = 0; i < quoted.Length; i++) quoted[i] = "\"" + tableNames[i].Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            return new PostgresColumns(quoted, tableText);
        }

        var isText = new bool[command.Columns.Count];
        for (var c = 0; c < isText.Length; c++)
        {
            var wanted = command.Columns[c];
            var name = wanted.StartsWith('"') ? wanted.Trim('"') : wanted.ToLowerInvariant();
            var at = tableNames.IndexOf(name);
            isText[c] = at >= 0 && tableText[at];
        }

        return new PostgresColumns(command.Columns, isText);
    }

    private static bool IsTextType(string type) =>
        type.StartsWith("text", StringComparison.Ordinal) || type.StartsWith("character", StringComparison.Ordinal)
        || type.StartsWith("varchar", StringComparison.Ordinal) || type.StartsWith("bpchar", StringComparison.Ordinal)
        || type is "name" or "citext";

    private async Task EnsureLoadTableAsync(NpgsqlConnection connection, string connectionString, CancellationToken ct)
    {
        if (_preparedDatabases.ContainsKey(connectionString)) return;
        await using var create = new NpgsqlCommand(
            $"CREATE TABLE IF NOT EXISTS {LoadTable} (delivery_stream text NOT NULL, batch_id text NOT NULL, loaded_at timestamptz NOT NULL, record_count bigint NOT NULL, PRIMARY KEY (delivery_stream, batch_id))",
            connection);
        try
        {
            await create.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState is "23505" or "42P07")
        {
            // Two loaders created it at the same moment; it exists now.
        }

        _preparedDatabases[connectionString] = true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery stream {Stream}: loading batch {BatchId} into PostgreSQL failed (attempt {Attempt}), retrying in {DelaySeconds:0.0} s: {Error}")]
    private static partial void LogRetry(ILogger logger, string stream, string batchId, int attempt, double delaySeconds, string error);
}
