using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Sluice.Hosting;
using Sluice.Streams.Catalog;
using Sluice.Streams.Records;

namespace Sluice.Streams.Replicas;

/// <summary>
/// Keeps replicas of the Streams service that share one PostgreSQL in step through LISTEN/NOTIFY: each durable append
/// wakes the subscribers of its shards on every replica, and each metadata change makes every replica reload the
/// catalog. A lost connection is made good on reconnect by waking every subscriber and reloading everything.
/// </summary>
public sealed class ReplicaNotifications : BackgroundService
{
    /// <summary>Channel whose payload is "replica/streamId:shard,shard,...".</summary>
    public const string AppendedChannel = "sluice_streams_appended";

    /// <summary>Channel whose payload is "replica/stream name".</summary>
    public const string ChangedChannel = "sluice_streams_changed";

    private const int MaxPayloadChars = 7000; // PostgreSQL refuses payloads of 8000 bytes or more
    private const string WakeAll = "*";
    private readonly NpgsqlDataSource? _dataSource;
    private readonly ShardSignals _signals;
    private readonly StreamCatalog _catalog;
    private readonly ILogger<ReplicaNotifications> _logger;
    private readonly Channel<(string Channel, string Payload)> _outgoing = Channel.CreateUnbounded<(string, string)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly string _replica = Guid.NewGuid().ToString("N")[..12];
    private int _refreshQueued;

    public ReplicaNotifications(SluiceSettings settings, RecordLog log, ShardSignals signals, StreamCatalog catalog, ILogger<ReplicaNotifications> logger)
    {
        _signals = signals;
        _catalog = catalog;
        _logger = logger;
        if (settings.Storage != StorageKind.Postgres) return; // embedded mode: one process, nothing to keep in step
        _dataSource = new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(settings.Postgres) { MaxPoolSize = 4 }.ConnectionString).Build();
        log.Appended += OnAppended;
        catalog.Changed += name => _outgoing.Writer.TryWrite((ChangedChannel, _replica + "/" + name));
    }

    private void OnAppended(long streamId, IReadOnlyList<int> shardIndexes)
    {
        var payload = new StringBuilder(_replica).Append('/').Append(streamId.ToString(CultureInfo.InvariantCulture)).Append(':');
        for (var i = 0; i < shardIndexes.Count; i++)
        {
            if (i > 0) payload.Append(',');
            payload.Append(shardIndexes[i].ToString(CultureInfo.InvariantCulture));
        }

        _outgoing.Writer.TryWrite((AppendedChannel, payload.ToString()));
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        _dataSource is null ? Task.CompletedTask : Task.WhenAll(ListenAsync(_dataSource, stoppingToken), SendAsync(_dataSource, stoppingToken));

    private async Task ListenAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(ct);
                connection.Notification += (_, e) => Receive(e.Channel, e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {AppendedChannel}; LISTEN {ChangedChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(ct);
                }

                // Anything sent while this replica was not listening is unknown: catch up once.
                _signals.NotifyAll();
                QueueRefresh();
                delay = TimeSpan.FromMilliseconds(100);
                while (true) await connection.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Replica notifications lost their PostgreSQL connection; reconnecting in {Delay}", delay);
                await Task.Delay(delay, ct).ContinueWith(_ => { }, TaskScheduler.Default);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private void Receive(string channel, string payload)
    {
        // This replica already woke its own subscribers and holds its own changes.
        var slash = payload.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || payload.AsSpan(0, slash).SequenceEqual(_replica)) return;
        payload = payload[(slash + 1)..];
        if (channel == ChangedChannel)
        {
            QueueRefresh();
            return;
        }

        if (payload == WakeAll)
        {
            _signals.NotifyAll();
            return;
        }

        var colon = payload.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !long.TryParse(payload.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var streamId)) return;
        var shards = new List<int>();
        foreach (var part in payload[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) shards.Add(index);
        }

        _signals.Notify(streamId, shards);
    }

    private void QueueRefresh()
    {
        // Several changes in a row need one reload: a reload started after the last change sees all of them.
        if (Interlocked.Exchange(ref _refreshQueued, 1) == 1) return;
        _ = Task.Run(async () =>
        {
            try
            {
                Interlocked.Exchange(ref _refreshQueued, 0);
                await _catalog.RefreshAsync(CancellationToken.None);
                _signals.NotifyAll(); // a shard may have closed: tails re-read their shard's end
            }
            catch (Exception e)
            {
                _logger.LogWarning(e, "Catalog reload after another replica's change failed");
            }
        });
    }

    private async Task SendAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var reader = _outgoing.Reader;
        var batch = new List<(string Channel, string Payload)>();
        try
        {
            while (await reader.WaitToReadAsync(ct))
            {
                batch.Clear();
                while (batch.Count < 64 && reader.TryRead(out var item)) batch.Add(item);
                try
                {
                    await using var cmd = dataSource.CreateCommand();
                    var sql = new StringBuilder("SELECT ");
                    for (var i = 0; i < batch.Count; i++)
                    {
                        var (channel, payload) = batch[i];
                        // Too many shards for one notification: wake everything rather than cut a shard index in half.
                        if (payload.Length > MaxPayloadChars) payload = _replica + "/" + WakeAll;
                        if (i > 0) sql.Append(", ");
                        sql.Append(CultureInfo.InvariantCulture, $"pg_notify('{channel}', $"); // channel names are constants above
                        sql.Append(i + 1).Append(')');
                        cmd.Parameters.Add(new NpgsqlParameter { Value = payload });
                    }

                    cmd.CommandText = sql.ToString();
                    await cmd.ExecuteNonQueryAsync(ct);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Subscribers elsewhere still wake on their own timeout; the data itself is durable.
                    _logger.LogWarning(e, "Could not notify other replicas of {Count} changes", batch.Count);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _dataSource?.Dispose();
    }
}

