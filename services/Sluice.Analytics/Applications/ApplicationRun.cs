using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Sluice.Analytics.Input;
using Sluice.Analytics.Output;
using Sluice.Analytics.ReferenceData;
using Sluice.Analytics.Sql;
using Sluice.Streams.Client;
using Sluice.Streams.V1;

namespace Sluice.Analytics.Applications;

/// <summary>
/// One running application: reads every shard of its input from the checkpointed positions, maps records to rows,
/// pushes them with ROWTIME = arrival time (kept non-decreasing), advances the clock when caught up, writes the
/// output rows, and checkpoints positions + engine state + output row numbers together. A single loop drives the
/// engine, so the runtime is only ever called from one place at a time.
/// </summary>
public sealed class ApplicationRun : ISqlRowSink, IMappedRows
{
    /// <summary>How far behind the wall clock the engine's clock runs when the input is idle, so in-flight records still land in their window.</summary>
    public static readonly TimeSpan ClockGrace = TimeSpan.FromSeconds(1);

    private readonly Application _app;
    private readonly ApplicationCatalog _catalog;
    private readonly StreamsClient _client;
    private readonly TimeProvider _clock;
    private readonly ReferenceTableLoader _references;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly IReadOnlyDictionary<string, string> _lambdas;
    private readonly TimeSpan _checkpointInterval;
    private readonly Storage.ApplicationLease _lease;

    private readonly List<OutputSlot> _outputs = [];
    private readonly Dictionary<string, List<OutputSlot>> _outputsByStream = new(StringComparer.Ordinal);
    private Checkpoint _checkpoint = new();
    private SqlRuntime? _runtime;
    private RecordMapper? _mapper;
    private string[] _inputStreams = [];
    private string _inputStream = string.Empty;
    private Record? _current;
    private string _currentShard = string.Empty;
    private DateTime _currentRowtime;

    public ApplicationRun(Application app, ApplicationCatalog catalog, StreamsClient client, TimeProvider clock, ReferenceTableLoader references,
        HttpClient http, IReadOnlyDictionary<string, string> lambdas, ILogger logger, TimeSpan checkpointInterval, Storage.ApplicationLease lease)
    {
        _app = app;
        _catalog = catalog;
        _client = client;
        _clock = clock;
        _references = references;
        _http = http;
        _lambdas = lambdas;
        _logger = logger;
        _checkpointInterval = checkpointInterval;
        _lease = lease;
    }

    public long Version => _app.Version;

    /// <summary>Rows the pumps emitted to outputs (for tests and the benchmark).</summary>
    public long RowsOut { get; private set; }

    public long RecordsIn { get; private set; }

    public static string CodeHash(Application app) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(app.Code + "\n" + app.Input?["InputSchema"]?.ToJsonString() + "\n" + app.Input?["InputParallelism"]?.ToJsonString())));

    /// <summary>Runs until cancelled; on the way out flushes and checkpoints when <paramref name="checkpointOnStop"/> says so.</summary>
    public async Task RunAsync(string startingPosition, Func<Task> started, Func<bool> checkpointOnStop, CancellationToken ct)
    {
        var program = ApplicationProgram.Compile(_app);
        var input = _app.Input!;
        _inputStreams = [.. _app.InAppStreamNames()];
        _mapper = new RecordMapper((JsonObject)input["InputSchema"]!);
        var sourceArn = (string?)input["KinesisStreamsInput"]?["ResourceARN"] ?? (string)input["KinesisFirehoseInput"]!["ResourceARN"]!;
        var sourceStream = ResourceNames.BackingStreamOf(sourceArn)!;

        var previous = Checkpoint.Deserialize(await _catalog.Store.LoadCheckpointAsync(_app.Name, ct));
        var resume = startingPosition == "LAST_STOPPED_POINT" && previous is not null;
        _checkpoint = resume ? previous! : new Checkpoint { Epoch = (previous?.Epoch ?? 0) + 1 };
        var restoreState = resume && _checkpoint.CodeHash == CodeHash(_app) && _checkpoint.State is not null;
        _checkpoint.CodeHash = CodeHash(_app);

        if (program is not null)
        {
            var wanted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var output in _app.Outputs) wanted.Add((string)output["Name"]!);
            _runtime = program.CreateRuntime(new SqlRuntimeOptions { Sink = this, OutputStreams = wanted });
            if (restoreState) _runtime.RestoreState(_checkpoint.State!);
            await BuildOutputsAsync(program, resume, ct);
            foreach (var reference in _app.References)
            {
                try
                {
                    _runtime.LoadReferenceTable((string)reference["TableName"]!, await _references.LoadAsync(reference, ct));
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _logger.LogWarning("Application {App}: reference table {Table} could not be loaded and stays empty: {Message}", _app.Name, reference["TableName"], e.Message);
                }
            }
        }

        if (!resume) await InitialPositionsAsync(sourceStream, startingPosition == "TRIM_HORIZON", ct);
        await SaveCheckpointAsync(ct);
        await started();

        var preprocessor = Preprocessor(input, sourceArn);
        var lastCheckpoint = _clock.GetTimestamp();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var read = await ReadRoundAsync(sourceStream, preprocessor, ct);
                if (read == 0 && _runtime is not null)
                {
                    var now = _clock.GetUtcNow().UtcDateTime - ClockGrace;
                    if (now > _currentRowtime) _runtime.AdvanceClock(now);
                }

                await FlushAsync(ct);
                if (_clock.GetElapsedTime(lastCheckpoint) >= _checkpointInterval)
                {
                    await SaveCheckpointAsync(ct);
                    lastCheckpoint = _clock.GetTimestamp();
                }

                if (read == 0) await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }

        if (checkpointOnStop())
        {
            // Stopping: everything emitted so far is written, then the positions that produced it are stored.
            await FlushAsync(CancellationToken.None);
            await SaveCheckpointAsync(CancellationToken.None);
        }
    }

    private async Task BuildOutputsAsync(SqlProgram program, bool resume, CancellationToken ct)
    {
        foreach (var output in _app.Outputs)
        {
            var id = (string)output["OutputId"]!;
            var streamName = (string)output["Name"]!;
            var arn = (string?)output["KinesisStreamsOutput"]?["ResourceARN"] ?? (string?)output["KinesisFirehoseOutput"]?["ResourceARN"];
            if (arn is null)
            {
                _logger.LogWarning("Application {App}: output {Output} has a Lambda destination, which Sluice does not deliver to.", _app.Name, id);
                continue;
            }

            var columns = streamName == ApplicationProgram.ErrorStream ? ErrorColumns : program.Streams.First(s => s.Name == streamName).Columns;
            var writer = new OutputWriter(_client, ResourceNames.BackingStreamOf(arn)!, $"kda:{_app.Name}:{id}:{_checkpoint.Epoch}:", _logger);
            var slot = new OutputSlot(id, writer, new RowEncoder(columns, (string?)output["DestinationSchema"]?["RecordFormatType"] ?? "JSON"));
            if (resume)
            {
                slot.Rows = _checkpoint.OutputRows.GetValueOrDefault(id);
                var positions = _checkpoint.OutputPositions.GetValueOrDefault(id) ?? [];
                foreach (var (shard, seq) in positions) writer.Positions[shard] = seq;

                // Rows numbered after the checkpoint may already be in the stream (written before a crash): skip those.
                slot.SkipThrough = await writer.HighestDeliveredAsync(positions, ct);
            }

            _outputs.Add(slot);
            if (!_outputsByStream.TryGetValue(streamName, out var list)) _outputsByStream[streamName] = list = [];
            list.Add(slot);
        }
    }

    private static readonly SqlColumn[] ErrorColumns =
    [
        new("ERROR_TIME", new SqlType(SqlTypeKind.Timestamp)),
        new("ERROR_LEVEL", new SqlType(SqlTypeKind.Varchar, 10)),
        new("ERROR_NAME", new SqlType(SqlTypeKind.Varchar, 32)),
        new("MESSAGE", new SqlType(SqlTypeKind.Varchar, 4096)),
        new("DATA_ROWTIME", new SqlType(SqlTypeKind.Timestamp)),
        new("DATA_ROW", new SqlType(SqlTypeKind.Varchar, 49152)),
        new("PUMP_NAME", new SqlType(SqlTypeKind.Varchar, 128)),
    ];

    private async Task InitialPositionsAsync(string stream, bool trimHorizon, CancellationToken ct)
    {
        var shards = await ListShardsAsync(stream, ct);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in shards) ids.Add(s.ShardId);
        var chosen = new List<Shard>();
        foreach (var s in shards)
        {
            // From the oldest data: shards whose parents are gone; from now: the open shards.
            if (trimHorizon ? !ids.Contains(s.ParentShardId) && !ids.Contains(s.AdjacentParentShardId) : s.Open) chosen.Add(s);
        }

        chosen.Sort((a, b) => string.CompareOrdinal(a.ShardId, b.ShardId));
        for (var i = 0; i < chosen.Count; i++)
        {
            var position = new ShardPosition { ShardId = chosen[i].ShardId, Kind = "TRIM_HORIZON", Stream = i % _inputStreams.Length };
            if (!trimHorizon)
            {
                // NOW is pinned to a sequence number at once, so a restart before any record resumes from here, not later.
                var latest = await _client.GetRecordsAsync(new GetRecordsRequest
                {
                    StreamName = stream,
                    ShardId = position.ShardId,
                    Position = new StartingPosition { Type = StartingPosition.Types.Type.Latest },
                    Limit = 1,
                }, ct);
                position.Kind = "AT";
                position.SequenceNumber = latest.ContinuationSequenceNumber;
                if (string.IsNullOrEmpty(position.SequenceNumber)) position.Kind = "LATEST";
            }

            _checkpoint.Shards.Add(position);
        }
    }

    private async Task<IReadOnlyList<Shard>> ListShardsAsync(string stream, CancellationToken ct)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (true)
        {
            try
            {
                return (await _client.ListShardsAsync(stream, ct)).Shards;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                _logger.LogWarning("Application {App}: cannot list the shards of {Stream}, retrying: {Message}", _app.Name, stream, e.Message);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5000));
            }
        }
    }

    private InputPreprocessor? Preprocessor(JsonObject input, string sourceArn)
    {
        var arn = (string?)input["InputProcessingConfiguration"]?["InputLambdaProcessor"]?["ResourceARN"];
        if (arn is null) return null;
        if (!_lambdas.TryGetValue(arn, out var url))
        {
            var name = arn[(arn.LastIndexOf(':') + 1)..];
            if (!_lambdas.TryGetValue(name, out url)) throw new InvalidOperationException($"No --lambda-endpoints entry for {arn}.");
        }

        return new InputPreprocessor(_http, url, _catalog.Arn(_app.Name), sourceArn, input["KinesisFirehoseInput"] is not null, _logger);
    }

    /// <summary>One GetRecords per unfinished shard; the rows of the round are pushed in arrival order. Returns records read.</summary>
    private async Task<int> ReadRoundAsync(string stream, InputPreprocessor? preprocessor, CancellationToken ct)
    {
        var batch = new List<(ShardPosition Shard, Record Record, ProcessedRecord? Processed)>();
        var shards = _checkpoint.Shards;

        // The shards are fetched together; their records are then taken in shard order.
        var fetches = new Task<GetRecordsResponse?>[shards.Count];
        for (var s = 0; s < shards.Count; s++) fetches[s] = shards[s].Ended ? Task.FromResult<GetRecordsResponse?>(null) : FetchAsync(stream, shards[s], ct);
        await Task.WhenAll(fetches);
        var count = shards.Count;
        for (var s = 0; s < count; s++)
        {
            var shard = shards[s];
            if (await fetches[s] is not { } response) continue;

            if (preprocessor is not null && response.Records.Count > 0)
            {
                foreach (var p in await preprocessor.ProcessAsync(shard.ShardId, response.Records, ct)) batch.Add((shard, p.Source, p));
            }
            else
            {
                foreach (var r in response.Records) batch.Add((shard, r, null));
            }

            if (response.ShardEnd)
            {
                shard.Ended = true;
                foreach (var child in response.ChildShards)
                {
                    if (shards.Exists(x => x.ShardId == child.ShardId)) continue;
                    shards.Add(new ShardPosition { ShardId = child.ShardId, Kind = "TRIM_HORIZON", Stream = shards.Count % _inputStreams.Length });
                }
            }
            else if (!string.IsNullOrEmpty(response.ContinuationSequenceNumber))
            {
                shard.Kind = "AT";
                shard.SequenceNumber = response.ContinuationSequenceNumber;
            }
            else if (response.Records.Count > 0)
            {
                shard.Kind = "AFTER";
                shard.SequenceNumber = response.Records[^1].SequenceNumber;
            }
        }

        if (batch.Count == 0) return 0;

        // Rows of several shards merge by arrival time; equal times keep shard order.
        if (shards.Count > 1) batch.Sort((a, b) => a.Record.ApproximateArrivalTimestampMs.CompareTo(b.Record.ApproximateArrivalTimestampMs));
        foreach (var (shard, record, processed) in batch) Push(shard, record, processed);
        RecordsIn += batch.Count;
        return batch.Count;
    }

    private async Task<GetRecordsResponse?> FetchAsync(string stream, ShardPosition shard, CancellationToken ct)
    {
        try
        {
            return await _client.GetRecordsAsync(new GetRecordsRequest { StreamName = stream, ShardId = shard.ShardId, Position = PositionOf(shard), Limit = 10000 }, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            _logger.LogWarning("Application {App}: reading {Stream}/{Shard} failed, retrying: {Message}", _app.Name, stream, shard.ShardId, e.Message);
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            return null;
        }
    }

    private static StartingPosition PositionOf(ShardPosition shard) => shard.Kind switch
    {
        "AT" => new StartingPosition { Type = StartingPosition.Types.Type.AtSequenceNumber, SequenceNumber = shard.SequenceNumber! },
        "AFTER" => new StartingPosition { Type = StartingPosition.Types.Type.AfterSequenceNumber, SequenceNumber = shard.SequenceNumber! },
        "LATEST" => new StartingPosition { Type = StartingPosition.Types.Type.Latest },
        _ => new StartingPosition { Type = StartingPosition.Types.Type.TrimHorizon },
    };

    private void Push(ShardPosition shard, Record record, ProcessedRecord? processed)
    {
        var arrivalMs = record.ApproximateArrivalTimestampMs;
        var rowtimeMs = Math.Max(arrivalMs, _checkpoint.LastRowtimeMs);
        _checkpoint.LastRowtimeMs = rowtimeMs;
        _currentRowtime = DateTime.UnixEpoch.AddMilliseconds(rowtimeMs);
        if (_runtime is null) return;
        _current = record;
        _currentShard = shard.ShardId;
        _inputStream = _inputStreams[shard.Stream];
        if (processed is { } p)
        {
            if (p.Result == "Dropped") return;
            if (p.Result == "ProcessingFailed")
            {
                _runtime.ReportError(_clock.GetUtcNow().UtcDateTime, "ProcessingFailed", "The input processing Lambda returned ProcessingFailed for this record.", _currentRowtime, Convert.ToHexString(record.Data.Span));
                return;
            }

            _mapper!.Map(p.Data ?? [], this);
            return;
        }

        _mapper!.Map(record.Data.Span, this);
    }

    void IMappedRows.Row(object?[] values)
    {
        var r = _current!;
        _runtime!.Push(_inputStream, new SourceRow(_currentRowtime, DateTime.UnixEpoch.AddMilliseconds(r.ApproximateArrivalTimestampMs), values, r.PartitionKey, r.SequenceNumber, _currentShard));
    }

    void IMappedRows.Error(string message) =>
        _runtime!.ReportError(_clock.GetUtcNow().UtcDateTime, "DATA_CONVERSION_ERROR", message, _currentRowtime, Convert.ToHexString(_current!.Data.Span));

    void ISqlRowSink.Emit(string stream, DateTime rowtime, ReadOnlySpan<object?> values)
    {
        if (!_outputsByStream.TryGetValue(stream, out var slots)) return;
        foreach (var slot in slots)
        {
            var n = ++slot.Rows;
            RowsOut++;
            if (n <= slot.SkipThrough) continue;
            slot.Writer.Add(n, slot.Encoder.Encode(values));
        }
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        foreach (var slot in _outputs)
        {
            if (slot.Writer.Pending > 0) await slot.Writer.FlushAsync(ct);
        }
    }

    private async Task SaveCheckpointAsync(CancellationToken ct)
    {
        if (_runtime is not null) _checkpoint.State = _runtime.SaveState();
        foreach (var slot in _outputs)
        {
            _checkpoint.OutputRows[slot.Id] = slot.Rows;
            _checkpoint.OutputPositions[slot.Id] = new Dictionary<string, string>(slot.Writer.Positions, StringComparer.Ordinal);
        }

        // Fenced: a runner that lost the application's lease must stop, not overwrite the new owner's progress.
        if (!await _catalog.Store.SaveCheckpointAsync(_app.Name, _checkpoint.Serialize(), _lease, ct)) throw new ApplicationLeaseLostException(_lease);
    }

    private sealed class OutputSlot(string id, OutputWriter writer, RowEncoder encoder)
    {
        public string Id { get; } = id;

        public OutputWriter Writer { get; } = writer;

        public RowEncoder Encoder { get; } = encoder;

        /// <summary>Rows emitted so far (the last row's number).</summary>
        public long Rows { get; set; }

        /// <summary>Rows up to this number are already in the destination (found there after a restart).</summary>
        public long SkipThrough { get; set; }
    }
}
