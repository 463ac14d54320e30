using Microsoft.Extensions.Logging;
using Sluice.Firehose.Catalog;
using Sluice.Firehose.Destinations;
using Sluice.Streams.Client;
using Sluice.Streams.Client.Kpl;

namespace Sluice.Firehose.Delivery;

/// <summary>What every shard's delivery shares.</summary>
internal sealed record DeliveryContext(IObjectStore Store, IDeliveryJournal Journal, BatchBuilder Builder, IReadOnlyList<IBatchDestination> Destinations, DeliveryMetrics Metrics, TimeProvider Clock, ILogger Logger);

/// <summary>
/// The buffer of one leased shard. Whole source records are appended in order; a cut (size reached, interval passed,
/// shard end) takes the whole buffer: journal the range → build and PUT the objects → call a non-S3 destination →
/// checkpoint the range's last record → retire the journal entry. While a cut runs the shard reads nothing more, which
/// bounds memory. After a crash the journal's open range is re-cut at exactly the same boundary.
/// </summary>
internal sealed class ShardDelivery
{
    private readonly DeliveryPlan _plan;
    private readonly DeliveryContext _context;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<SourceItem> _buffer = [];
    private readonly List<KplUserRecord> _userRecords = [];
    private long _bufferedBytes;
    private DateTimeOffset _bufferStarted;
    private JournalEntry? _pending;
    private bool _journalRead;
    private ShardBatch? _lastBatch;
    private Exception? _timerFailure;

    public ShardDelivery(DeliveryPlan plan, DeliveryContext context, string shardId, CancellationToken shardCancellation)
    {
        _plan = plan;
        _context = context;
        ShardId = shardId;
        Cancellation = shardCancellation;
        if (plan.Interval > TimeSpan.Zero) _ = Task.Run(TimerAsync, CancellationToken.None);
    }

    public string ShardId { get; }

    /// <summary>The worker's token: a new worker for the same shard (lease re-taken) gets a new <see cref="ShardDelivery"/>.</summary>
    public CancellationToken Cancellation { get; }

    private string Name => _plan.Stream.Name;

    public async Task HandleAsync(ShardBatch batch, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_timerFailure is { } failure) throw new InvalidOperationException($"Delivery of {Name}/{ShardId} failed: {failure.Message}", failure);
            _lastBatch = batch;
            if (!_journalRead)
            {
                _pending = await _context.Journal.FindAsync(Name, ShardId, ct);
                _journalRead = true;
                if (_pending is not null) _context.Logger.LogInformation("{Stream}/{Shard}: re-cutting the open range {First}..{Last} from the journal", Name, ShardId, _pending.FirstSequence, _pending.LastSequence);
            }

            long records = 0, bytes = 0;
            foreach (var record in batch.Records)
            {
                var sequence = record.SequenceNumber;
                if (_pending is not null && DeliveryPlan.CompareSequence(sequence, _pending.LastSequence) > 0)
                {
                    // Past the open range: either the range was cut short (records expired) or it was already checkpointed.
                    if (_buffer.Count > 0) await CutAsync(ct);
                    else await RetireStaleAsync(ct);
                }

                records++;
                bytes += record.Data.Length;
                Append(record);

                if (_pending is not null)
                {
                    if (DeliveryPlan.CompareSequence(sequence, _pending.LastSequence) == 0) await CutAsync(ct);
                }
                else if (_bufferedBytes >= _plan.SizeBytes)
                {
                    await CutAsync(ct);
                }
            }

            _context.Metrics.Incoming(Name, records, bytes);
            if (_pending is null && _buffer.Count > 0 && (_plan.Interval == TimeSpan.Zero || batch.IsShardEnd)) await CutAsync(ct);
            _context.Metrics.Waiting(Name, _buffer.Count > 0 ? _buffer[0].ApproximateArrival : null);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Append(Sluice.Streams.V1.Record record)
    {
        var arrival = DateTimeOffset.FromUnixTimeMilliseconds(record.ApproximateArrivalTimestampMs);
        var data = record.Data.Memory;
        if (_buffer.Count == 0) _bufferStarted = _context.Clock.GetUtcNow();
        if (_plan.Stream.Type == DeliveryStreamType.KinesisStreamAsSource && KplAggregate.IsAggregated(data))
        {
            _userRecords.Clear();
            KplAggregate.Deaggregate(data, record.PartitionKey, null, _userRecords);
            foreach (var user in _userRecords)
            {
                _buffer.Add(new SourceItem(record.SequenceNumber, user.SubSequenceNumber, arrival, user.Data, user.PartitionKey));
                _bufferedBytes += user.Data.Length;
            }

            return;
        }

        _buffer.Add(new SourceItem(record.SequenceNumber, 0, arrival, data, record.PartitionKey));
        _bufferedBytes += data.Length;
    }

    private async Task TimerAsync()
    {
        var poll = TimeSpan.FromMilliseconds(Math.Clamp(_plan.Interval.TotalMilliseconds / 4, 50, 1000));
        try
        {
            while (!Cancellation.IsCancellationRequested)
            {
                await Task.Delay(poll, Cancellation);
                if (_buffer.Count == 0 || _pending is not null) continue;
                await _gate.WaitAsync(Cancellation);
                try
                {
                    if (_timerFailure is null && _buffer.Count > 0 && _pending is null && _context.Clock.GetUtcNow() - _bufferStarted >= _plan.Interval)
                    {
                        await CutAsync(Cancellation);
                        _context.Metrics.Waiting(Name, null);
                    }
                }
                finally
                {
                    _gate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested)
        {
        }
        catch (LeaseLostException e)
        {
            _context.Logger.LogInformation("{Stream}/{Shard}: {Message}", Name, ShardId, e.Message);
        }
        catch (Exception e)
        {
            // The next batch handed to this shard fails with it, so the consumer stops and restarts from the checkpoint.
            _context.Logger.LogError(e, "{Stream}/{Shard}: interval flush failed", Name, ShardId);
            _timerFailure = e;
        }
    }

    private async Task RetireStaleAsync(CancellationToken ct)
    {
        await _context.Journal.RetireAsync(Name, ShardId, ct);
        _pending = null;
    }

    private async Task CutAsync(CancellationToken ct)
    {
        var items = _buffer.ToList();
        _buffer.Clear();
        _bufferedBytes = 0;
        var first = items[0];
        var last = items[^1];
        var versionId = _pending?.VersionId ?? _plan.Stream.VersionId;
        var identity = $"{Name}/{versionId}/{ShardId}/{first.SequenceNumber}.{first.SubsequenceNumber}-{last.SequenceNumber}.{last.SubsequenceNumber}";
        var built = await _context.Builder.BuildAsync(_plan, versionId, ShardId, identity, items, ct);

        // Durable before the first PUT: a replica that resumes this shard cuts the same range again.
        await _context.Journal.RecordAsync(
            new JournalEntry(Name, ShardId, versionId, first.SequenceNumber, first.SubsequenceNumber, last.SequenceNumber, last.SubsequenceNumber, string.Join('\n', built.Objects.Select(o => o.Bucket + "/" + o.Key))),
            ct);

        await PutAllAsync(built.Objects, ct);
        await DeliverElsewhereAsync(versionId, identity, built, ct);

        await _lastBatch!.CheckpointAsync(last.SequenceNumber, last.SubsequenceNumber, ct);
        await _context.Journal.RetireAsync(Name, ShardId, ct);
        _pending = null;
    }

    private async Task PutAllAsync(List<PlannedObject> objects, CancellationToken ct)
    {
        if (objects.Count == 0) return;
        long records = 0, bytes = 0, count = 0;
        await Parallel.ForEachAsync(objects, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (o, token) =>
        {
            await _context.Store.PutAsync(o.Bucket, o.Key, o.Body, token);
        });
        foreach (var o in objects)
        {
            if (!o.Delivery) continue;
            records += o.Records;
            bytes += o.RawBytes;
            count++;
        }

        _context.Metrics.Delivered(Name, records, bytes, count);
    }

    private async Task DeliverElsewhereAsync(string versionId, string identity, BuiltCut built, CancellationToken ct)
    {
        var kind = _plan.Stream.Destination;
        if (kind == DestinationKind.ExtendedS3 || built.ForDestination.Count == 0) return;
        IBatchDestination? destination = null;
        foreach (var d in _context.Destinations)
        {
            if (d.Kind == kind) destination = d;
        }

        DeliveryOutcome outcome;
        if (destination is null)
        {
            _context.Logger.LogWarning("{Stream}: no {Kind} destination is registered; the batch is not delivered there", Name, kind);
            outcome = new DeliveryOutcome(false, 0, "Sluice.DestinationNotAvailable", $"No {kind} destination is registered in this host.");
        }
        else
        {
            var records = new List<BufferedRecord>(built.ForDestination.Count);
            foreach (var (record, _) in built.ForDestination) records.Add(record);
            var batch = new DeliveryBatch(_plan.Stream, ObjectKeys.DeterministicUuid(identity), ShardId, records, records[0].ApproximateArrivalTimestamp);
            outcome = await destination.DeliverAsync(batch, ct);
        }

        if (outcome.Delivered || kind != DestinationKind.HttpEndpoint) return;
        if (_plan.Errors is { } errors)
        {
            await PutAllAsync([_context.Builder.FailedDelivery(_plan, errors, versionId, identity, BatchBuilder.HttpEndpointFailed, built, outcome)], ct);
        }
        else
        {
            _context.Logger.LogError("{Stream}: {Count} records failed at the HTTP endpoint and there is no S3Configuration to back them up", Name, built.ForDestination.Count);
        }
    }
}
