using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
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
public sealed class ApplicationRun : ISqlRowSink
{
    /// <summary>How far behind the wall clock the engine's clock runs when the input is idle, so in-flight records still land in their window.</summary>
    public static readonly TimeSpan ClockGrace = TimeSpan.FromSeconds(1);

    /// <summary>Rounds fetched and mapped ahead of the engine loop.</summary>
    private const int RoundsAhead = 2;

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
    private readonly ApplicationMetrics _metrics;
    private readonly ApplicationFigures _figures;
    private long _outputBytes;
    private long _outputRecords;

    public ApplicationRun(Application app, ApplicationCatalog catalog, StreamsClient client, TimeProvider clock, ReferenceTableLoader references,
        HttpClient http, IReadOnlyDictionary<string, string> lambdas, ILogger logger, TimeSpan checkpointInterval, Storage.ApplicationLease lease,
        ApplicationMetrics metrics)
    {
        _metrics = metrics;
        _figures = metrics.For(app.Name);
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

    /// <summary>Where the run's time goes, per stage (for the benchmark).</summary>
    public RunStages Stages { get; } = new();

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

        // Rounds are fetched and mapped ahead by a reader task; this loop alone drives the engine, writes and checkpoints.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var rounds = Channel.CreateBounded<Round>(new BoundedChannelOptions(RoundsAhead) { SingleReader = true, SingleWriter = true });
        var reader = Task.Run(() => ReadRoundsAsync(sourceStream, preprocessor, rounds.Writer, reading.Token), CancellationToken.None);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var waited = Stopwatch.GetTimestamp();
                var round = await rounds.Reader.ReadAsync(ct);
                Stages.Add(RunStage.Wait, waited);
                var pushed = Stopwatch.GetTimestamp();
                Apply(round);
                Stages.Add(RunStage.Engine, pushed);
                _metrics.Input(_figures, _app.Name, round.Records, round.Bytes, round.MillisBehindLatest);
                if (round.Errors > 0) _metrics.Errors(_figures, _app.Name, round.Errors);
                if (_runtime is not null) ApplicationMetrics.State(_figures, _runtime.StateEntries);
                if (round.Records == 0 && _runtime is not null)
                {
                    var now = _clock.GetUtcNow().UtcDateTime - ClockGrace;
                    if (now > DateTime.UnixEpoch.AddMilliseconds(_checkpoint.LastRowtimeMs)) _runtime.AdvanceClock(now);
                }

                if (_clock.GetElapsedTime(lastCheckpoint) >= _checkpointInterval)
                {
                    await FlushAsync(true, ct);
                    await SaveCheckpointAsync(ct);
                    lastCheckpoint = _clock.GetTimestamp();
                }
                else
                {
                    await FlushAsync(false, ct);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            await reading.CancelAsync();
            try
            {
                await reader;
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (checkpointOnStop())
        {
            // Stopping: everything emitted so far is written, then the positions that produced it are stored.
            await FlushAsync(true, CancellationToken.None);
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
            var lambdaArn = (string?)output["LambdaOutput"]?["ResourceARN"];
            var columns = streamName == ApplicationProgram.ErrorStream ? ErrorColumns : program.Streams.First(s => s.Name == streamName).Columns;
            var keyPrefix = $"kda:{_app.Name}:{id}:{_checkpoint.Epoch}:";
            IRowDestination destination = arn is not null
                ? new OutputWriter(_client, ResourceNames.BackingStreamOf(arn)!, keyPrefix, _logger)
                : new LambdaOutputWriter(_http, LambdaUrl(lambdaArn!), _catalog.Arn(_app.Name), keyPrefix, _logger);
            var slot = new OutputSlot(id, destination, new RowEncoder(columns, (string?)output["DestinationSchema"]?["RecordFormatType"] ?? "JSON"));
            if (resume)
            {
                // A Lambda cannot be asked what it already has: rows after the checkpoint are sent again (at least once).
                slot.Rows = _checkpoint.OutputRows.GetValueOrDefault(id);
                if (destination is OutputWriter writer)
                {
                    var positions = _checkpoint.OutputPositions.GetValueOrDefault(id) ?? [];
                    foreach (var (shard, seq) in positions) writer.Positions[shard] = seq;

                    // Rows numbered after the checkpoint may already be in the stream (written before a crash): skip those.
                    slot.SkipThrough = await writer.HighestDeliveredAsync(positions, ct);
                }
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
        return arn is null ? null : new InputPreprocessor(_http, LambdaUrl(arn), _catalog.Arn(_app.Name), sourceArn, input["KinesisFirehoseInput"] is not null, _logger);
    }

    /// <summary>The URL a Lambda ARN (or its bare function name) is mapped to by --lambda-endpoints.</summary>
    private string LambdaUrl(string arn)
    {
        if (_lambdas.TryGetValue(arn, out var url)) return url;
        return _lambdas.TryGetValue(arn[(arn.LastIndexOf(':') + 1)..], out url) ? url : throw new InvalidOperationException($"No --lambda-endpoints entry for {arn}.");
    }

    /// <summary>
    /// The reader task: rounds of one GetRecords per unfinished shard. A round's responses are mapped (shards in
    /// parallel) while the next round's GetRecords are already in flight; each round's rows are merged in arrival order
    /// and handed to the engine loop. The task keeps its own copy of the positions; the checkpoint's advance only as the
    /// engine loop takes the rounds.
    /// </summary>
    private async Task ReadRoundsAsync(string stream, InputPreprocessor? preprocessor, ChannelWriter<Round> rounds, CancellationToken ct)
    {
        var cursors = new List<ShardPosition>();
        foreach (var s in _checkpoint.Shards) cursors.Add(Copy(s));
        try
        {
            var fetches = StartFetches(stream, cursors, ct);
            while (!ct.IsCancellationRequested)
            {
                var round = new Round { InputStreams = _inputStreams.Length };
                var fetched = await AdvanceAsync(fetches, cursors, round);
                if (round.Records == 0) await Task.Delay(TimeSpan.FromMilliseconds(100), ct);
                fetches = StartFetches(stream, cursors, ct);

                var maps = new Task<MappedRows>[fetched.Count];
                for (var i = 0; i < fetched.Count; i++)
                {
                    var (response, cursor) = fetched[i];
                    maps[i] = MapAsync(response, cursor, preprocessor, ct);
                }

                await Task.WhenAll(maps);
                Merge(maps, round.Items);
                await rounds.WriteAsync(round, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // The engine loop sees the failure when it next reads.
            rounds.TryComplete(e);
            return;
        }

        rounds.TryComplete();
    }

    private static ShardPosition Copy(ShardPosition s) =>
        new() { ShardId = s.ShardId, Kind = s.Kind, SequenceNumber = s.SequenceNumber, Stream = s.Stream, Ended = s.Ended };

    private Task<GetRecordsResponse?>[] StartFetches(string stream, List<ShardPosition> cursors, CancellationToken ct)
    {
        var fetches = new Task<GetRecordsResponse?>[cursors.Count];
        for (var s = 0; s < cursors.Count; s++) fetches[s] = cursors[s].Ended ? Task.FromResult<GetRecordsResponse?>(null) : FetchAsync(stream, cursors[s], ct);
        return fetches;
    }

    /// <summary>Waits for a round's GetRecords and moves the reader's positions past them; returns the responses with the shard each came from.</summary>
    private static async Task<List<(GetRecordsResponse Response, ShardPosition Cursor)>> AdvanceAsync(Task<GetRecordsResponse?>[] fetches, List<ShardPosition> cursors, Round round)
    {
        await Task.WhenAll(fetches);
        var fetched = new List<(GetRecordsResponse, ShardPosition)>(fetches.Length);
        for (var s = 0; s < fetches.Length; s++)
        {
            var cursor = cursors[s];
            if (await fetches[s] is not { } response) continue;
            fetched.Add((response, Copy(cursor)));
            round.Records += response.Records.Count;
            round.MillisBehindLatest = Math.Max(round.MillisBehindLatest, response.MillisBehindLatest);
            foreach (var record in response.Records) round.Bytes += record.Data.Length;
            if (response.ShardEnd)
            {
                cursor.Ended = true;
                foreach (var child in response.ChildShards)
                {
                    if (cursors.Exists(x => x.ShardId == child.ShardId)) continue;
                    var position = new ShardPosition { ShardId = child.ShardId, Kind = "TRIM_HORIZON", Stream = cursors.Count % round.InputStreams };
                    cursors.Add(position);
                    round.NewShards.Add(Copy(position));
                }
            }
            else if (!string.IsNullOrEmpty(response.ContinuationSequenceNumber))
            {
                cursor.Kind = "AT";
                cursor.SequenceNumber = response.ContinuationSequenceNumber;
            }
            else if (response.Records.Count > 0)
            {
                cursor.Kind = "AFTER";
                cursor.SequenceNumber = response.Records[^1].SequenceNumber;
            }

            round.Advances.Add((s, Copy(cursor)));
        }

        return fetched;
    }

    /// <summary>Rows of several shards merge by arrival time; equal times keep shard order (each shard's rows are in order already).</summary>
    private static void Merge(Task<MappedRows>[] shards, List<MappedItem> into)
    {
        if (shards.Length == 1)
        {
            into.AddRange(shards[0].Result.Items);
            return;
        }

        var lists = new List<MappedItem>[shards.Length];
        var total = 0;
        for (var b = 0; b < shards.Length; b++)
        {
            lists[b] = shards[b].Result.Items;
            total += lists[b].Count;
        }

        into.Capacity = total;
        var heads = new int[lists.Length];
        for (var n = 0; n < total; n++)
        {
            var best = -1;
            long bestMs = 0;
            for (var b = 0; b < lists.Length; b++)
            {
                var items = lists[b];
                if (heads[b] >= items.Count) continue;
                var ms = items[heads[b]].Record.ApproximateArrivalTimestampMs;
                if (best < 0 || ms < bestMs)
                {
                    best = b;
                    bestMs = ms;
                }
            }

            into.Add(lists[best][heads[best]++]);
        }
    }

    /// <summary>Pre-processes and maps one shard's records of a round (off the engine loop, one task per shard).</summary>
    private async Task<MappedRows> MapAsync(GetRecordsResponse response, ShardPosition cursor, InputPreprocessor? preprocessor, CancellationToken ct)
    {
        var records = response.Records;
        var rows = new MappedRows(cursor.ShardId, cursor.Stream, records.Count);
        if (records.Count == 0) return rows;
        await Task.Yield();
        var mapping = Stopwatch.GetTimestamp();
        if (preprocessor is not null)
        {
            foreach (var p in await preprocessor.ProcessAsync(cursor.ShardId, records, ct))
            {
                rows.Current = p.Source;
                if (p.Result == "Ok") MapOne(p.Data ?? [], rows);
                else rows.Add(p.Result == "Dropped" ? MappedKind.Skip : MappedKind.ProcessingFailed, null, null);
            }
        }
        else
        {
            for (var i = 0; i < records.Count; i++)
            {
                rows.Current = records[i];
                MapOne(records[i].Data.Span, rows);
            }
        }

        Stages.Add(RunStage.Map, mapping);
        return rows;
    }

    private async Task<GetRecordsResponse?> FetchAsync(string stream, ShardPosition shard, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
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
        finally
        {
            Stages.Add(RunStage.Fetch, started);
        }
    }

    private static StartingPosition PositionOf(ShardPosition shard) => shard.Kind switch
    {
        "AT" => new StartingPosition { Type = StartingPosition.Types.Type.AtSequenceNumber, SequenceNumber = shard.SequenceNumber! },
        "AFTER" => new StartingPosition { Type = StartingPosition.Types.Type.AfterSequenceNumber, SequenceNumber = shard.SequenceNumber! },
        "LATEST" => new StartingPosition { Type = StartingPosition.Types.Type.Latest },
        _ => new StartingPosition { Type = StartingPosition.Types.Type.TrimHorizon },
    };

    private void MapOne(ReadOnlySpan<byte> data, MappedRows rows)
    {
        var before = rows.Items.Count;
        _mapper!.Map(data, rows);

        // A record that gave nothing (an empty flattened array) still moves ROWTIME on.
        if (rows.Items.Count == before) rows.Add(MappedKind.Skip, null, null);
    }

    /// <summary>Takes a round: its rows into the engine (ROWTIME = arrival, kept non-decreasing), its positions into the checkpoint.</summary>
    private void Apply(Round round)
    {
        var items = round.Items;
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i];
            var record = item.Record;
            var rowtimeMs = Math.Max(record.ApproximateArrivalTimestampMs, _checkpoint.LastRowtimeMs);
            _checkpoint.LastRowtimeMs = rowtimeMs;
            if (_runtime is null || item.Kind == MappedKind.Skip) continue;
            var rowtime = DateTime.UnixEpoch.AddMilliseconds(rowtimeMs);
            switch (item.Kind)
            {
                case MappedKind.Row:
                    var arrival = rowtimeMs == record.ApproximateArrivalTimestampMs ? rowtime : DateTime.UnixEpoch.AddMilliseconds(record.ApproximateArrivalTimestampMs);
                    _runtime.Push(_inputStreams[item.Rows.Stream], new SourceRow(rowtime, arrival, item.Values!, record.PartitionKey, record.SequenceNumber, item.Rows.ShardId));
                    break;
                case MappedKind.Error:
                    round.Errors++;
                    _runtime.ReportError(_clock.GetUtcNow().UtcDateTime, "DATA_CONVERSION_ERROR", item.Message!, rowtime, Convert.ToHexString(record.Data.Span));
                    break;
                case MappedKind.ProcessingFailed:
                    round.Errors++;
                    _runtime.ReportError(_clock.GetUtcNow().UtcDateTime, "ProcessingFailed", "The input processing Lambda returned ProcessingFailed for this record.", rowtime, Convert.ToHexString(record.Data.Span));
                    break;
            }
        }

        var shards = _checkpoint.Shards;
        foreach (var (index, cursor) in round.Advances)
        {
            var shard = shards[index];
            shard.Kind = cursor.Kind;
            shard.SequenceNumber = cursor.SequenceNumber;
            shard.Ended = cursor.Ended;
        }

        foreach (var added in round.NewShards) shards.Add(added);
        RecordsIn += round.Records;
    }

    void ISqlRowSink.Emit(string stream, DateTime rowtime, ReadOnlySpan<object?> values)
    {
        if (!_outputsByStream.TryGetValue(stream, out var slots)) return;
        foreach (var slot in slots)
        {
            var n = ++slot.Rows;
            RowsOut++;
            if (n <= slot.SkipThrough) continue;
            var encoded = slot.Encoder.Encode(values);
            _outputRecords++;
            _outputBytes += encoded.Length;
            slot.Destination.Add(n, encoded);
        }
    }

    private async Task FlushAsync(bool force, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var slot in _outputs)
        {
            if (slot.Destination.Pending > 0) await slot.Destination.FlushAsync(force, ct);
        }

        if (_outputRecords > 0)
        {
            _metrics.Output(_figures, _app.Name, _outputRecords, _outputBytes);
            (_outputRecords, _outputBytes) = (0, 0);
        }

        Stages.Add(RunStage.Output, started);
    }

    private async Task SaveCheckpointAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        if (_runtime is not null) _checkpoint.State = _runtime.SaveState();
        foreach (var slot in _outputs)
        {
            _checkpoint.OutputRows[slot.Id] = slot.Rows;
            _checkpoint.OutputPositions[slot.Id] = new Dictionary<string, string>(slot.Destination.Positions, StringComparer.Ordinal);
        }

        // Fenced: a runner that lost the application's lease must stop, not overwrite the new owner's progress.
        if (!await _catalog.Store.SaveCheckpointAsync(_app.Name, _checkpoint.Serialize(), _lease, ct)) throw new ApplicationLeaseLostException(_lease);
        Stages.Add(RunStage.Checkpoint, started);
    }

    private sealed class OutputSlot(string id, IRowDestination destination, RowEncoder encoder)
    {
        public string Id { get; } = id;

        public IRowDestination Destination { get; } = destination;

        public RowEncoder Encoder { get; } = encoder;

        /// <summary>Rows emitted so far (the last row's number).</summary>
        public long Rows { get; set; }

        /// <summary>Rows up to this number are already in the destination (found there after a restart).</summary>
        public long SkipThrough { get; set; }
    }

    private enum MappedKind
    {
        Row,
        Error,
        ProcessingFailed,

        /// <summary>A record that gives no row (dropped by the Lambda, or mapped to nothing); it still moves ROWTIME on.</summary>
        Skip,
    }

    private readonly record struct MappedItem(Record Record, MappedKind Kind, object?[]? Values, string? Message, MappedRows Rows);

    /// <summary>What one shard's records of a round mapped to, in record order.</summary>
    private sealed class MappedRows(string shardId, int stream, int capacity) : IMappedRows
    {
        public string ShardId { get; } = shardId;

        public int Stream { get; } = stream;

        public List<MappedItem> Items { get; } = new(capacity);

        public Record Current { get; set; } = null!;

        public void Add(MappedKind kind, object?[]? values, string? message) => Items.Add(new MappedItem(Current, kind, values, message, this));

        public void Row(object?[] values) => Add(MappedKind.Row, values, null);

        public void Error(string message) => Add(MappedKind.Error, null, message);
    }

    /// <summary>One round of reads: the rows in arrival order, and where each shard stands after it.</summary>
    private sealed class Round
    {
        public List<MappedItem> Items { get; } = [];

        public List<(int Index, ShardPosition Cursor)> Advances { get; } = [];

        public List<ShardPosition> NewShards { get; } = [];

        public int Records { get; set; }

        public long Bytes { get; set; }

        /// <summary>Records that went to error_stream (did not map, or the pre-processing Lambda failed them).</summary>
        public int Errors { get; set; }

        /// <summary>The largest MillisBehindLatest of the round's GetRecords.</summary>
        public long MillisBehindLatest { get; set; }

        /// <summary>How many in-app input streams (InputParallelism) shards are spread over.</summary>
        public required int InputStreams { get; init; }
    }
}

/// <summary>The stages of an application run the benchmark times.</summary>
public enum RunStage
{
    /// <summary>GetRecords calls (reader task, shards in parallel).</summary>
    Fetch,

    /// <summary>Pre-processing and mapping records to rows (reader task, shards in parallel).</summary>
    Map,

    /// <summary>The engine loop waiting for the reader.</summary>
    Wait,

    /// <summary>Rows through the SQL engine (including encoding output rows).</summary>
    Engine,

    /// <summary>Writing output rows.</summary>
    Output,

    Checkpoint,
}

/// <summary>Time an application run spends per stage (the reader's stages overlap the engine loop's).</summary>
public sealed class RunStages
{
    private readonly long[] _ticks = new long[6];

    public void Add(RunStage stage, long startedAt) => Interlocked.Add(ref _ticks[(int)stage], Stopwatch.GetTimestamp() - startedAt);

    public TimeSpan this[RunStage stage] => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks[(int)stage]));

    public override string ToString()
    {
        string S(RunStage stage) => this[stage].TotalSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + " s";
        return $"reader: fetch {S(RunStage.Fetch)}, map {S(RunStage.Map)}; engine loop: wait {S(RunStage.Wait)}, engine {S(RunStage.Engine)}, output {S(RunStage.Output)}, checkpoint {S(RunStage.Checkpoint)}";
    }
}
